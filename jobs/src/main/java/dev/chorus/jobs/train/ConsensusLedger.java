package dev.chorus.jobs.train;

import dev.chorus.core.annotators.ItemConsensus;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.io.BinaryState;
import dev.chorus.schemas.Consensus;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * What a label-model task has published on the consensus topic, per item, and what it owes: an item whose labels
 * changed is pending until its record goes out, rate-limited like annotator models
 * ({@link MinibatchSgdFunction#due}); every model snapshot sends every pending item and re-evaluates up to
 * {@link #RECHECK_PER_SNAPSHOT} published items, round robin, republishing those whose most likely class moved with
 * their annotators' confusions. A record made right after its minibatch weighs the labels by the classifier's
 * prediction, which a recheck no longer has: so a recheck compares the class the labels alone favour (under the
 * running class prior) with the one they favoured when the last record went out ({@link Item#labelsClass}), never
 * with the record's class, which would republish, with nothing changed, every item whose classifier and labels
 * disagree. So each item is rechecked at least every {@code items / RECHECK_PER_SNAPSHOT}
 * snapshots, at a cost per snapshot of that many E-steps. The keys of the items owed are kept beside the ledger
 * ({@link #pending}), so that publication, after every minibatch, visits them alone, not every item. Items leave the
 * ledger when they leave the label model's
 * item history (whose bound {@code historyItems} also bounds the ledger): their last record stays on the topic. A
 * label model reset in place tombstones the keys of the published items the ledger still holds
 * ({@link #publishedKeys}).
 */
final class ConsensusLedger {
    /** Published items re-evaluated per model snapshot. */
    static final int RECHECK_PER_SNAPSHOT = 1024;

    static final class Item {
        final String id;
        /** The most likely class of its last record, -1 before the first. */
        int publishedClass = -1;
        long publishedVersion;
        long publishedAt;
        /**
         * The most likely class on the item's labels alone, under the class prior, when its last record went out: what
         * a {@link #recheck} compares with. -1 before the first record, and for a record made before trainer-state
         * layout 5, which kept no such class: the item's first recheck then takes the class it finds as the baseline,
         * without a record.
         */
        int labelsClass = -1;

        Item(String id) {
            this.id = id;
        }
    }

    /** By item key ({@link dev.chorus.jobs.ExampleTensors#itemKey}), in order of last label, oldest first. */
    final LinkedHashMap<Long, Item> items = new LinkedHashMap<>();
    /**
     * The keys of the items whose consensus is owed (labelled since their last record), in the order of {@link #items}.
     * Saved as a flag per item, and rebuilt from it.
     */
    final LinkedHashSet<Long> pending = new LinkedHashSet<>();
    /** Where the next snapshot's recheck starts, as a position in {@link #items}. */
    int recheckFrom;
    /** Ledger entries {@link #publishPending} has looked at, which a test bounds (it runs once per minibatch). */
    long pendingVisits;

    /** Marks item {@code key} (example id {@code id}) as labelled again: its consensus is owed. */
    void labelled(long key, String id, int maxItems) {
        Item item = items.remove(key);
        if (item == null) {
            item = new Item(id);
        }
        items.put(key, item);
        // Last in both, so that the owed keys keep the ledger's order.
        pending.remove(key);
        pending.add(key);
        Iterator<Long> oldest = items.keySet().iterator();
        while (items.size() > maxItems) {
            pending.remove(oldest.next());
            oldest.remove();
        }
    }

    /**
     * Publishes each pending item that is due (all of them when {@code all}); {@code priorOf} gives the classifier's
     * prediction of an item of the minibatch just trained, or null (the running class prior). Returns how many went
     * out.
     */
    int publishPending(LabelModel model, String task, String variant, long version, long now, long intervalMs, boolean all,
            LongFunction<float[]> priorOf, Consumer<Consensus> out) {
        int published = 0;
        Iterator<Long> it = pending.iterator();
        while (it.hasNext()) {
            long key = it.next();
            pendingVisits++;
            Item item = items.get(key);
            if (version <= item.publishedVersion || !MinibatchSgdFunction.due(all, true, item.publishedClass >= 0,
                    item.publishedAt, now, intervalMs)) {
                continue;
            }
            it.remove();
            float[] prior = priorOf.apply(key);
            ItemConsensus consensus = model.consensus(key, prior);
            if (consensus == null) {
                items.remove(key);
                continue;
            }
            out.accept(record(task, variant, item, consensus, version, now));
            // One more E-step, under the class prior, when the record's had the classifier's prediction.
            item.labelsClass = prior == null ? consensus.mostLikely() : model.consensus(key, null).mostLikely();
            published++;
        }
        return published;
    }

    /**
     * Re-evaluates up to {@link #RECHECK_PER_SNAPSHOT} published items, from where the last recheck stopped, and
     * republishes those whose most likely class on their labels alone moved since their last record
     * ({@link Item#labelsClass}). Returns how many went out.
     */
    int recheck(LabelModel model, String task, String variant, long version, long now, Consumer<Consensus> out) {
        if (items.isEmpty()) {
            return 0;
        }
        int from = recheckFrom % items.size();
        int count = Math.min(RECHECK_PER_SNAPSHOT, items.size());
        List<Long> forgotten = new ArrayList<>();
        int published = 0;
        int position = 0;
        int visited = 0;
        for (int pass = 0; pass < 2 && visited < count; pass++) {
            for (Map.Entry<Long, Item> e : items.entrySet()) {
                if (visited == count) {
                    break;
                }
                boolean inRange = pass == 0 ? position >= from : position < from;
                position++;
                if (!inRange) {
                    continue;
                }
                visited++;
                Item item = e.getValue();
                if (item.publishedClass < 0 || version <= item.publishedVersion) {
                    continue;
                }
                ItemConsensus consensus = model.consensus(e.getKey(), null);
                if (consensus == null) {
                    forgotten.add(e.getKey());
                } else if (item.labelsClass < 0) {
                    item.labelsClass = consensus.mostLikely();
                } else if (consensus.mostLikely() != item.labelsClass) {
                    pending.remove(e.getKey());
                    out.accept(record(task, variant, item, consensus, version, now));
                    item.labelsClass = consensus.mostLikely();
                    published++;
                }
            }
            position = 0;
        }
        recheckFrom = from + count;
        for (long key : forgotten) {
            items.remove(key);
            pending.remove(key);
        }
        return published;
    }

    /**
     * Gives {@code out} the consensus-topic key ({@link TrainRecords#consensusKey}) of every item this ledger holds
     * that has a record out, oldest label first, for a model reset in place to tombstone: at most the ledger's items.
     * A published item that has left the ledger (past the item history's bound, or forgotten by it) is not known here,
     * and its last record stays. Returns how many keys it gave.
     */
    int publishedKeys(String task, String variant, Consumer<String> out) {
        int keys = 0;
        for (Item item : items.values()) {
            if (item.publishedClass >= 0) {
                out.accept(TrainRecords.consensusKey(task, variant, item.id));
                keys++;
            }
        }
        return keys;
    }

    /**
     * The classifier's predictions of the minibatch's rows {@code from .. to}, by item, which {@code outputs} holds
     * from its start, {@code k} per row.
     */
    static LongFunction<float[]> priors(long[] items, int from, int to, float[] outputs, int k) {
        Map<Long, float[]> priors = new HashMap<>();
        for (int i = from; i < to; i++) {
            priors.put(items[i], Arrays.copyOfRange(outputs, (i - from) * k, (i - from + 1) * k));
        }
        return priors::get;
    }

    private static Consensus record(String task, String variant, Item item, ItemConsensus consensus, long version, long now) {
        item.publishedClass = consensus.mostLikely();
        item.publishedVersion = version;
        item.publishedAt = now;
        List<Double> posterior = new ArrayList<>(consensus.posterior().length);
        for (double p : consensus.posterior()) {
            posterior.add(p);
        }
        return Consensus.newBuilder()
                .setTask(task)
                .setVariant(variant)
                .setItem(item.id)
                .setPosterior(posterior)
                .setMostLikely(consensus.mostLikely())
                .setLabels(consensus.labels())
                .setAnnotators(consensus.annotators())
                .setVersion(version)
                .setUpdatedAt(now)
                .build();
    }

    ConsensusLedger copy() {
        ConsensusLedger c = new ConsensusLedger();
        items.forEach((key, item) -> {
            Item i = new Item(item.id);
            i.publishedClass = item.publishedClass;
            i.publishedVersion = item.publishedVersion;
            i.publishedAt = item.publishedAt;
            i.labelsClass = item.labelsClass;
            c.items.put(key, i);
        });
        c.pending.addAll(pending);
        c.recheckFrom = recheckFrom;
        return c;
    }

    void writeTo(DataOutput out) throws IOException {
        out.writeInt(recheckFrom);
        out.writeInt(items.size());
        for (Map.Entry<Long, Item> e : items.entrySet()) {
            Item item = e.getValue();
            out.writeLong(e.getKey());
            BinaryState.writeString(out, item.id);
            out.writeBoolean(pending.contains(e.getKey()));
            out.writeInt(item.publishedClass);
            out.writeLong(item.publishedVersion);
            out.writeLong(item.publishedAt);
            out.writeInt(item.labelsClass);
        }
    }

    /**
     * Reads {@link #writeTo}'s bytes of trainer-state layout {@code layout}: from layout 5 on, each item's
     * {@link Item#labelsClass}; before, none (-1).
     */
    static ConsensusLedger readFrom(DataInput in, int maxItems, int layout) throws IOException {
        ConsensusLedger ledger = new ConsensusLedger();
        ledger.recheckFrom = in.readInt();
        int size = in.readInt();
        if (size < 0 || size > maxItems || ledger.recheckFrom < 0) {
            throw new IOException("trainer state: expected a consensus ledger of 0.." + maxItems
                    + " items and a recheck position >= 0, got " + size + " and " + ledger.recheckFrom);
        }
        for (int n = 0; n < size; n++) {
            long key = in.readLong();
            Item item = new Item(BinaryState.readString(in, "consensus item id"));
            if (in.readBoolean()) {
                ledger.pending.add(key);
            }
            item.publishedClass = in.readInt();
            item.publishedVersion = in.readLong();
            item.publishedAt = in.readLong();
            item.labelsClass = layout >= 5 ? in.readInt() : -1;
            if (item.labelsClass < -1) {
                throw new IOException("trainer state: consensus item " + key + ": expected a class on labels alone >= -1,"
                        + " got " + item.labelsClass);
            }
            ledger.items.put(key, item);
        }
        return ledger;
    }
}
