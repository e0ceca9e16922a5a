package dev.chorus.cli;

import dev.chorus.core.select.SearchRun;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The control topic as the train job judged it. The job's {@code check-specs} operator sends each control record it
 * refuses to the spec refusals topic and to the dead-letter topic with the reason, the record's topic, partition and
 * offset, and the SHA-256 of its value ({@code DeadLetters.of}): such a record is <em>refused</em>, it changed
 * nothing, and its key stays what it was before. Every other record is <em>taken</em>: the job took it, or has not
 * read it yet (nothing tells those apart). The refusals are read from the spec refusals topic, which holds nothing
 * else; where it does not exist (a train job older than it writes refusals to the dead-letter topic only) from the
 * whole dead-letter topic, with a warning. The SHA-256, when the dead letter has it, must match too, so that a dead
 * letter of a deleted and recreated control topic does not refuse the new topic's record at the same offset. Both
 * topics keep their records for their retention (30 days as Chorus creates them); a record refused before that shows
 * as taken again. A record that is no
 * VariantSpecRecord ({@code kcat -P} of anything) is <em>unreadable</em>: the job refuses it too, so it changes
 * nothing either; it is shown under its Kafka key, with the dead letter's reason once the job has written it.
 *
 * <p>The train job's control source commits its offset to the job's consumer group at each checkpoint: a taken record
 * at or past it is <em>pending</em>, not read by the job as of its last checkpoint (where the group has no offset
 * there, as before that source committed any, nothing is pending and a taken record may not have been read yet).
 *
 * @param keys per key of the control topic, in the order first written: what the job made of it
 * @param warnings what the reader of a verdict should know: the refusals were read from the dead-letter topic, or
 *     neither topic exists, records on them were no DeadLetter
 * @param tombstoned the keys whose last record is a tombstone (not in {@code keys}): retired, if they were live, until
 *     compaction forgets them, so a spec for one must say {@code "revive":true}
 * @param changes the taken records and the tombstones, in the order written: what {@link #states} replays
 */
record JudgedSpecs(Map<String, Key> keys, List<String> warnings, Set<String> tombstoned, List<Change> changes) {

    /** A record the job took (or has not read yet) under {@code key}, or a tombstone of it ({@code record} null). */
    record Change(String key, VariantSpecRecord record) {}

    /** A control record that is no VariantSpecRecord: why ({@code reason}, the decoder's message), and where it is. */
    record Unreadable(String reason, int partition, long offset) {}

    /**
     * A control record the job refused, and the dead letter that says why; or an unreadable one ({@code record} null),
     * whose {@code deadLetter} is null until the job has written it.
     */
    record Refusal(VariantSpecRecord record, Unreadable unreadable, DeadLetter deadLetter) {
        Refusal(VariantSpecRecord record, DeadLetter deadLetter) {
            this(record, null, deadLetter);
        }

        /** REFUSED once a dead letter says so, else (an unreadable record the job has not judged yet) UNREADABLE. */
        String status() {
            return deadLetter != null ? "REFUSED" : "UNREADABLE";
        }

        /** The dead letter's reason, else the decoder's. */
        String reason() {
            return deadLetter != null ? deadLetter.getReason() : unreadable.reason();
        }
    }

    /**
     * One key ({@code name}: the Kafka key, null for none): its latest taken record (null when none is on the topic),
     * whether that one is pending (the train job had not read it as of its last checkpoint), and the latest refused or
     * unreadable one after it, if any.
     */
    record Key(String name, VariantSpecRecord taken, Refusal refused, boolean pending) {
        /** The task the key's records name, else the one its name gives ({@code task/variant}), else null. */
        String task() {
            if (taken != null) {
                return taken.getTask();
            }
            if (refused.record() != null) {
                return refused.record().getTask();
            }
            return name == null || name.indexOf('/') <= 0 ? null : name.substring(0, name.indexOf('/'));
        }

        /** The variant its name gives, after the task's {@code /}; null when the name is no {@code task/variant}. */
        String variant() {
            return task() == null || name == null || name.indexOf('/') <= 0 ? null
                    : name.substring(name.indexOf('/') + 1);
        }

        /** How a table names the key: {@code (none)} for a null key. */
        String shownName() {
            return name == null ? "(none)" : name;
        }
    }

    /**
     * Reads the control topic and the refusals ({@link Refusals}) to their ends, committed records only; with neither
     * refusals topic every record is taken, with a warning.
     */
    static JudgedSpecs read(KafkaOptions kafka, String specsTopic, Refusals refusals) {
        try (Reader reader = new Reader(kafka, specsTopic, refusals, true)) {
            JudgedSpecs judged = reader.readToEnd();
            if (judged == null) {
                throw new IllegalStateException("topic " + specsTopic + " not found (--specs-topic)");
            }
            return judged;
        }
    }

    /** {@code control}: the control topic's records in offset order; {@code deadLetters}: of any topic. */
    static JudgedSpecs of(List<ConsumerRecord<byte[], byte[]>> control, List<DeadLetter> deadLetters,
            String specsTopic, List<String> warnings) {
        return of(control, deadLetters, specsTopic, warnings, -1);
    }

    /** As above, the train job having read up to {@code readUpTo} (its committed offset; -1: unknown). */
    static JudgedSpecs of(List<ConsumerRecord<byte[], byte[]>> control, List<DeadLetter> deadLetters,
            String specsTopic, List<String> warnings, long readUpTo) {
        Judge judge = new Judge(specsTopic, true);
        deadLetters.forEach(judge::deadLetter);
        control.forEach(judge::control);
        return judge.judged(warnings, readUpTo);
    }

    /** The latest taken record of each key that has one: what the train job goes by. */
    Map<String, VariantSpecRecord> taken() {
        Map<String, VariantSpecRecord> taken = new LinkedHashMap<>();
        keys.forEach((key, k) -> {
            if (k.taken() != null) {
                taken.put(key, k.taken());
            }
        });
        return taken;
    }

    /**
     * What the train job holds each key as after the {@link #changes}, replayed as its {@code check-specs} applies
     * them (SpecControl): a LIVE record with the spec the key trains, or a RETIRED one. A live search's key holds its
     * record, and each variant it draws, which has no record of its own until one names it, a LIVE record of the spec
     * the search draws for it ({@link VariantSpecs#drawnSpec}); retiring the search (a RETIRED record or a tombstone
     * of its key) retires them all, so they stay retired, as the job keeps them, until a record revives one. A RETIRED
     * record retires its key; a tombstone retires a key that was live (for one that was not, the job changes nothing,
     * but its earlier record may have been compacted away: {@link #tombstoned} says which keys end with one). Each
     * change is taken as the job took it, but for those the job refuses whatever came before: a record whose key is
     * not its {@code task/variant}, a LIVE one without a spec that parses, and any record but a search's retirement
     * under a live search's key.
     */
    Map<String, VariantSpecRecord> states() {
        Map<String, VariantSpecRecord> states = new LinkedHashMap<>();
        Map<String, VariantSpecRecord> searches = new HashMap<>();
        for (Change c : changes) {
            VariantSpecRecord r = c.record();
            VariantSpecRecord search = searches.remove(c.key());
            if (search != null) {
                if (r == null || r.getStatus() == VariantStatus.RETIRED) {
                    retire(search, r, states);
                } else {
                    searches.put(c.key(), search); // the live search's record again, or one the job refuses
                }
                continue;
            }
            if (r == null) {
                VariantSpecRecord was = states.get(c.key());
                if (was != null && was.getStatus() == VariantStatus.LIVE) {
                    states.put(c.key(), retired(was.getTask(), was.getVariant(), was.getUpdatedAt(), "tombstone"));
                }
                continue;
            }
            if (!c.key().equals(r.getTask() + "/" + r.getVariant())) {
                continue;
            }
            if (r.getStatus() == VariantStatus.RETIRED) {
                states.put(c.key(), r);
                continue;
            }
            VariantSpec parsed;
            try {
                parsed = VariantSpecs.parseVariant(r.getSpec(), Integer.MAX_VALUE);
            } catch (RuntimeException refused) {
                continue;
            }
            states.put(c.key(), r);
            if (parsed.search().isPresent()) {
                searches.put(c.key(), r);
                for (String name : SearchRun.variantNames(r.getVariant(), parsed.variants())) {
                    states.put(r.getTask() + "/" + name, VariantSpecRecord.newBuilder().setTask(r.getTask())
                            .setVariant(name).setStatus(VariantStatus.LIVE)
                            .setSpec(VariantSpecs.drawnSpec(r.getTask(), r.getVariant(), r.getSpec(), name))
                            .setUpdatedAt(r.getUpdatedAt()).setSource(r.getSource()).build());
                }
            }
        }
        return states;
    }

    /** {@code search} retired by {@code by} (null: a tombstone): its key and every variant it draws. */
    private static void retire(VariantSpecRecord search, VariantSpecRecord by, Map<String, VariantSpecRecord> states) {
        long at = by == null ? search.getUpdatedAt() : by.getUpdatedAt();
        String source = by == null ? "tombstone" : by.getSource();
        String key = search.getTask() + "/" + search.getVariant();
        states.put(key, by != null ? by : retired(search.getTask(), search.getVariant(), at, source));
        VariantSpec parsed = VariantSpecs.parseVariant(search.getSpec(), Integer.MAX_VALUE);
        for (String name : SearchRun.variantNames(search.getVariant(), parsed.variants())) {
            states.put(search.getTask() + "/" + name, retired(search.getTask(), name, at, source));
        }
    }

    private static VariantSpecRecord retired(String task, String variant, long at, String source) {
        return VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(VariantStatus.RETIRED)
                .setSpec(null).setUpdatedAt(at).setSource(source).build();
    }

    /** How many keys end with an unreadable record (refused or not yet). */
    long unreadable() {
        return keys.values().stream().filter(k -> k.refused() != null && k.refused().unreadable() != null).count();
    }

    /**
     * What judging the control topic needs, kept as records of either topic arrive: per key of the control topic its
     * records since its last tombstone (a dead letter that arrives later can refuse the latest, which hands the key
     * back to the one before), every record and tombstone in the order read (for {@link #states}), and the dead
     * letters of the control topic, by partition and offset.
     */
    static final class Judge {
        private record Entry(int partition, long offset, byte[] sha256, VariantSpecRecord record,
                Unreadable unreadable) {}

        /** A control record read under {@code key}, or a tombstone of it ({@code entry} null). */
        private record Read(String key, Entry entry) {}

        private final String specsTopic;
        private final boolean initialModels;
        private final RecordDecoder decoder = new RecordDecoder();
        private final Map<String, DeadLetter> refusals = new HashMap<>();
        private final Map<String, List<Entry>> byKey = new LinkedHashMap<>();
        private final Set<String> tombstoned = new LinkedHashSet<>();
        private final List<Read> read = new ArrayList<>();
        private int decoded;

        /** {@code initialModels}: whether to keep the warm-start models the records carry (the board needs none). */
        Judge(String specsTopic, boolean initialModels) {
            this.specsTopic = specsTopic;
            this.initialModels = initialModels;
        }

        /** Takes a dead letter of any topic: those of the control topic are kept. */
        void deadLetter(DeadLetter d) {
            if (d.getTopic().equals(specsTopic)) {
                refusals.put(d.getPartition() + "@" + d.getOffset(), d);
            }
        }

        /** Takes the control topic's next record (in offset order). */
        void control(ConsumerRecord<byte[], byte[]> r) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                byKey.remove(key);
                if (key != null) {
                    tombstoned.add(key);
                    read.add(new Read(key, null));
                }
                return;
            }
            tombstoned.remove(key);
            byte[] sha256 = SnapshotChunks.sha256(ByteBuffer.wrap(r.value()));
            decoded++;
            Entry entry;
            try {
                VariantSpecRecord record = (VariantSpecRecord) decoder.decode(r.value(), RecordKind.SPEC).record();
                if (!initialModels) {
                    record.setInitialModel(null);
                }
                entry = new Entry(r.partition(), r.offset(), sha256, record, null);
            } catch (RecordDecodingException e) {
                entry = new Entry(r.partition(), r.offset(), sha256, null,
                        new Unreadable(e.getMessage(), r.partition(), r.offset()));
            }
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(entry);
            if (key != null) {
                read.add(new Read(key, entry));
            }
        }

        /** How many control records this judge has decoded. */
        int decoded() {
            return decoded;
        }

        /**
         * The verdict on the records taken so far, with {@code warnings}; a taken record at or past {@code readUpTo}
         * (the job's committed offset on the control topic, -1 for unknown) is pending.
         */
        JudgedSpecs judged(List<String> warnings, long readUpTo) {
            Map<String, Key> keys = new LinkedHashMap<>();
            byKey.forEach((key, entries) -> {
                VariantSpecRecord taken = null;
                boolean pending = false;
                Refusal refused = null;
                for (Entry e : entries) {
                    DeadLetter refusal = refusal(e);
                    if (e.record() == null) {
                        refused = new Refusal(null, e.unreadable(), refusal);
                    } else if (refusal != null) {
                        refused = new Refusal(e.record(), refusal);
                    } else {
                        taken = e.record();
                        pending = readUpTo >= 0 && e.offset() >= readUpTo;
                        refused = null;
                    }
                }
                keys.put(key, new Key(key, taken, refused, pending));
            });
            List<Change> changes = new ArrayList<>();
            for (Read r : read) {
                if (r.entry() == null || r.entry().record() != null && refusal(r.entry()) == null) {
                    changes.add(new Change(r.key(), r.entry() == null ? null : r.entry().record()));
                }
            }
            return new JudgedSpecs(keys, List.copyOf(warnings), Set.copyOf(tombstoned), List.copyOf(changes));
        }

        /** The dead letter that refuses {@code e}: of its partition and offset, and of its value where it says. */
        private DeadLetter refusal(Entry e) {
            DeadLetter refusal = refusals.get(e.partition() + "@" + e.offset());
            return refusal != null && refusal.getOriginalSha256() != null
                    && !refusal.getOriginalSha256().equals(ByteBuffer.wrap(e.sha256())) ? null : refusal;
        }
    }

    /**
     * Where the train job's refusals of control records are: {@code topic}, the spec refusals topic; where it does not
     * exist, {@code deadLetterTopic}, of which they are a part. {@code trainGroupId}: the job's consumer group, whose
     * offset on the control topic says how far it has read (null: unknown).
     */
    record Refusals(String topic, String deadLetterTopic, String trainGroupId) {}

    /**
     * The control topic and the refusals, followed: {@link #readToEnd} reads what arrived on each since its last call
     * (the first reads from the beginning) and judges all read so far. A topic not found is looked for again on the
     * next call; once the refusals are read from one topic they are read from it to the end.
     */
    static final class Reader implements AutoCloseable {
        private final KafkaOptions kafka;
        private final String specsTopic;
        private final Refusals where;
        private final Judge judge;
        private final RecordDecoder decoder = new RecordDecoder();
        private TopicReader.Tail control;
        private TopicReader.Tail refusals;
        private String refusalsTopic;
        private int skipped;
        private int refusalsDecoded;

        Reader(KafkaOptions kafka, String specsTopic, Refusals where, boolean initialModels) {
            this.kafka = kafka;
            this.specsTopic = specsTopic;
            this.where = where;
            this.judge = new Judge(specsTopic, initialModels);
        }

        /** Reads both topics to their ends; null when the control topic does not exist (yet). */
        JudgedSpecs readToEnd() {
            control = control != null ? control : tail(specsTopic);
            if (control == null) {
                return null;
            }
            if (refusals == null) {
                refusalsTopic = where.topic();
                refusals = tail(refusalsTopic);
            }
            if (refusals == null) {
                refusalsTopic = where.deadLetterTopic();
                refusals = tail(refusalsTopic);
            }
            List<String> warnings = new ArrayList<>();
            if (refusals == null) {
                warnings.add("topics " + where.topic() + " (--spec-refusals-topic) and " + where.deadLetterTopic()
                        + " (--dead-letter-topic) not found: a record the train job refused cannot be told from one "
                        + "it took");
            } else {
                if (!refusalsTopic.equals(where.topic())) {
                    warnings.add("topic " + where.topic() + " not found (--spec-refusals-topic): the refusals were "
                            + "read from the whole of " + refusalsTopic + " (a train job older than the refusals "
                            + "topic writes them there only)");
                }
                refusals.readToEnd(r -> {
                    refusalsDecoded++;
                    try {
                        judge.deadLetter((DeadLetter) decoder.decode(r.value(), RecordKind.DEAD_LETTER).record());
                    } catch (RecordDecodingException e) {
                        skipped++;
                    }
                });
            }
            if (skipped > 0) {
                warnings.add(skipped + " record(s) on " + refusalsTopic + " are no DeadLetter and were skipped "
                        + "(chorus tail " + refusalsTopic + " shows why)");
            }
            // The offset first: a record the job reads while this one reads the topic is then pending at worst.
            long readUpTo = where.trainGroupId() == null ? -1 : TopicReader.committedOffset(kafka.bootstrapServers,
                    kafka.kafkaProperties, where.trainGroupId(), specsTopic, 0);
            control.readToEnd(judge::control);
            return judge.judged(warnings, readUpTo);
        }

        /** How many records of either topic were decoded so far. */
        int decoded() {
            return judge.decoded() + refusalsDecoded;
        }

        private TopicReader.Tail tail(String topic) {
            try {
                kafka.requireReachable(topic);
            } catch (IllegalStateException missing) {
                return null;
            }
            return TopicReader.tail(kafka.bootstrapServers, kafka.kafkaProperties, topic);
        }

        @Override
        public void close() {
            if (control != null) {
                control.close();
            }
            if (refusals != null) {
                refusals.close();
            }
        }
    }
}
