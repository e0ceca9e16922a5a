package dev.chorus.cli;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The control topic as the train job judged it. The job's {@code check-specs} operator sends each control record it
 * refuses to the dead-letter topic with the reason, the record's topic, partition and offset, and the SHA-256 of its
 * value ({@code DeadLetters.of}): such a record is <em>refused</em>, it changed nothing, and its key stays what it was
 * before. Every other record is <em>taken</em>: the job took it, or has not read it yet (nothing tells those apart).
 * The SHA-256, when the dead letter has it, must match too, so that a dead letter of a deleted and recreated control
 * topic does not refuse the new topic's record at the same offset. The dead-letter topic keeps its records for its
 * retention (30 days as Chorus creates it); a record refused before that shows as taken again.
 *
 * @param keys per key of the control topic, in the order first written: what the job made of it
 * @param warnings what the reader of a verdict should know: the dead-letter topic is missing, records on it were
 *     no DeadLetter
 */
record JudgedSpecs(Map<String, Key> keys, List<String> warnings) {

    /** A control record the job refused, and the dead letter that says why. */
    record Refusal(VariantSpecRecord record, DeadLetter deadLetter) {}

    /** One key: its latest taken record (null when none is on the topic) and the latest refused one after it, if any. */
    record Key(VariantSpecRecord taken, Refusal refused) {
        /** The task the key's records name. */
        String task() {
            return taken != null ? taken.getTask() : refused.record().getTask();
        }
    }

    /**
     * Reads the control topic {@code specsTopic} and the dead-letter topic {@code deadLetterTopic} to their ends,
     * committed records only; a missing dead-letter topic leaves every record taken, with a warning.
     *
     * @throws RecordDecodingException when a record on the control topic is no VariantSpecRecord
     */
    static JudgedSpecs read(KafkaOptions kafka, String specsTopic, String deadLetterTopic) {
        List<ConsumerRecord<byte[], byte[]>> control = TopicReader.readAllRecords(kafka.bootstrapServers,
                kafka.kafkaProperties, specsTopic);
        List<String> warnings = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        try {
            kafka.requireReachable(deadLetterTopic);
        } catch (IllegalStateException missing) {
            warnings.add("topic " + deadLetterTopic + " not found (--dead-letter-topic): a record the train job "
                    + "refused cannot be told from one it took");
            return of(control, deadLetters, specsTopic, warnings);
        }
        RecordDecoder decoder = new RecordDecoder();
        int skipped = 0;
        for (byte[] value : TopicReader.readAll(kafka.bootstrapServers, kafka.kafkaProperties, deadLetterTopic,
                Function.identity())) {
            try {
                deadLetters.add((DeadLetter) decoder.decode(value, RecordKind.DEAD_LETTER).record());
            } catch (RecordDecodingException e) {
                skipped++;
            }
        }
        if (skipped > 0) {
            warnings.add(skipped + " record(s) on " + deadLetterTopic + " are no DeadLetter and were skipped "
                    + "(chorus tail " + deadLetterTopic + " shows why)");
        }
        return of(control, deadLetters, specsTopic, warnings);
    }

    /** {@code control}: the control topic's records in offset order; {@code deadLetters}: of any topic. */
    static JudgedSpecs of(List<ConsumerRecord<byte[], byte[]>> control, List<DeadLetter> deadLetters,
            String specsTopic, List<String> warnings) {
        Map<String, DeadLetter> byCoordinates = new HashMap<>();
        for (DeadLetter d : deadLetters) {
            if (d.getTopic().equals(specsTopic)) {
                byCoordinates.put(d.getPartition() + "@" + d.getOffset(), d);
            }
        }
        RecordDecoder decoder = new RecordDecoder();
        Map<String, Key> keys = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : control) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                keys.remove(key);
                continue;
            }
            VariantSpecRecord record = (VariantSpecRecord) decoder.decode(r.value(), RecordKind.SPEC).record();
            DeadLetter refusal = byCoordinates.get(r.partition() + "@" + r.offset());
            Key before = keys.get(key);
            if (refusal != null && (refusal.getOriginalSha256() == null || refusal.getOriginalSha256()
                    .equals(ByteBuffer.wrap(SnapshotChunks.sha256(ByteBuffer.wrap(r.value())))))) {
                keys.put(key, new Key(before == null ? null : before.taken(), new Refusal(record, refusal)));
            } else {
                keys.put(key, new Key(record, null));
            }
        }
        return new JudgedSpecs(keys, List.copyOf(warnings));
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
}
