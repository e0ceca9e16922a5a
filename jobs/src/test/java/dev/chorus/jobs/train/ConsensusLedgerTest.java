package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.schemas.Consensus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the consensus ledger publishes, and when, against a real label model. */
class ConsensusLedgerTest {

    static final int K = 3;

    static final ModelSpec LABEL_ONLY = ModelSpec.parse("""
            {"algorithm":"softmax-regression","inputDim":0,"numClasses":3,"batchSize":16,
             "labelModel":"dawid-skene"}""");
    /** The ledger's bound, the history's. */
    static final int MAX_ITEMS = 1 << 18;

    /** Item {@code key}'s example id. */
    static String id(long key) {
        return "item-" + key;
    }

    /** Annotator {@code annotator} labels {@code items}, one minibatch of up to 16; the ledger marks each owed. */
    static void label(LabelModel model, ConsensusLedger ledger, String annotator, long... items) {
        for (int from = 0; from < items.length; from += 16) {
            int n = Math.min(16, items.length - from);
            long[] batch = new long[n];
            String[] who = new String[n];
            int[] labels = new int[n];
            for (int e = 0; e < n; e++) {
                batch[e] = items[from + e];
                who[e] = annotator;
                labels[e] = (int) (batch[e] % K);
            }
            model.train(new float[0], batch, who, labels, n);
            for (int e = 0; e < n; e++) {
                ledger.labelled(batch[e], id(batch[e]), MAX_ITEMS);
            }
        }
    }

    static long[] range(int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = i;
        }
        return keys;
    }

    /** What {@code ledger.publishPending} sends, version {@code version} at {@code now}, rate limit 1 s. */
    static List<String> publish(LabelModel model, ConsensusLedger ledger, long version, long now) {
        List<Consensus> out = new ArrayList<>();
        int published = ledger.publishPending(model, "t", "default", version, now, 1000, false, key -> null, out::add);
        assertThat(out).hasSize(published);
        return out.stream().map(Consensus::getItem).toList();
    }

    /**
     * Publication runs after every minibatch: it visits the items owed, not the whole ledger (up to 2^18 items,
     * 3.8 ms a minibatch with nothing owed), and sends them in the order of their last label, as a scan of the ledger
     * did.
     */
    @Test
    void publicationVisitsTheOwedItemsAloneInTheOrderOfTheirLastLabel() {
        LabelModel model = LabelModels.create(LABEL_ONLY);
        ConsensusLedger ledger = new ConsensusLedger();
        label(model, ledger, "a", range(10_000));
        assertThat(publish(model, ledger, 1, 0)).hasSize(10_000);

        label(model, ledger, "b", 7, 3, 9000);
        label(model, ledger, "c", 7);
        long visits = ledger.pendingVisits;
        assertThat(publish(model, ledger, 2, 1000)).containsExactly(id(3), id(9000), id(7));
        assertThat(ledger.pendingVisits - visits).isEqualTo(3);

        visits = ledger.pendingVisits;
        assertThat(publish(model, ledger, 3, 2000)).isEmpty();
        assertThat(ledger.pendingVisits - visits).as("nothing owed, nothing visited").isZero();
    }

    /**
     * An owed item the rate limit holds back stays owed, in a copy and in a restored ledger too (pending is saved
     * per item), and goes out when due; an owed item the ledger's bound evicts is owed no more.
     */
    @Test
    void owedItemsStayOwedThroughACopyAndARestoreAndLeaveWithTheirItem() throws IOException {
        LabelModel model = LabelModels.create(LABEL_ONLY);
        ConsensusLedger ledger = new ConsensusLedger();
        label(model, ledger, "a", range(1000));
        publish(model, ledger, 1, 0);
        label(model, ledger, "b", 500, 20);
        long visits = ledger.pendingVisits;
        assertThat(publish(model, ledger, 2, 10)).as("held back by the rate limit").isEmpty();
        assertThat(ledger.pendingVisits - visits).isEqualTo(2);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ledger.writeTo(new DataOutputStream(bytes));
        ConsensusLedger restored = ConsensusLedger.readFrom(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), MAX_ITEMS, 5);
        for (ConsensusLedger l : List.of(ledger.copy(), restored, ledger)) {
            assertThat(publish(model, l, 2, 1000)).containsExactly(id(500), id(20));
            assertThat(l.pendingVisits).as("visits of this ledger's own publications").isEqualTo(
                    l == ledger ? visits + 2 + 2 : 2);
        }

        ConsensusLedger bounded = new ConsensusLedger();
        label(model, bounded, "c", 1, 2);
        bounded.labelled(3, id(3), 2);
        assertThat(publish(model, bounded, 3, 2000)).as("item 1 left the ledger of 2").containsExactly(id(2), id(3));
        assertThat(bounded.pendingVisits).isEqualTo(2);
    }

    /**
     * A reset in place tombstones the keys of the published items the ledger holds, at most its items: not an item
     * owed but never published, nor one the ledger's bound evicted (its record stays, as the docs say).
     */
    @Test
    void publishedKeysAreThoseOfThePublishedItemsTheLedgerStillHolds() {
        LabelModel model = LabelModels.create(LABEL_ONLY);
        ConsensusLedger ledger = new ConsensusLedger();
        label(model, ledger, "a", 1, 2, 3);
        assertThat(publish(model, ledger, 1, 0)).containsExactly(id(1), id(2), id(3));
        ledger.labelled(4, id(4), 3);
        assertThat(ledger.items.keySet()).as("item 1 left the ledger of 3").containsExactly(2L, 3L, 4L);

        List<String> keys = new ArrayList<>();
        assertThat(ledger.publishedKeys("t", "w", keys::add)).isEqualTo(2);
        assertThat(keys).as("items 2 and 3; not 4, owed and never published, nor 1, evicted").containsExactly(
                TrainRecords.consensusKey("t", "w", id(2)), TrainRecords.consensusKey("t", "w", id(3)));
    }

    /** What {@code ledger.recheck} sends at version {@code version}, as (item, class) pairs. */
    static List<String> recheck(LabelModel model, ConsensusLedger ledger, long version) {
        List<Consensus> out = new ArrayList<>();
        int published = ledger.recheck(model, "t", "default", version, 0, out::add);
        assertThat(out).hasSize(published);
        return out.stream().map(c -> c.getItem() + "=" + c.getMostLikely()).toList();
    }

    /** Trains {@code model} on items {@code from ..< to}, labelled by every annotator of {@code who} as it says. */
    static void train(LabelModel model, int from, int to, String[] who, java.util.function.IntBinaryOperator label) {
        for (int item = from; item < to; item++) {
            long[] items = new long[who.length];
            int[] labels = new int[who.length];
            for (int a = 0; a < who.length; a++) {
                items[a] = item;
                labels[a] = label.applyAsInt(a, item % K);
            }
            model.train(new float[0], items, who, labels, who.length);
        }
    }

    /**
     * A record made right after its minibatch weighs the labels by the classifier's prediction; the next snapshot's
     * recheck has only the class prior. It must not republish the item with the class its labels alone favour when
     * nothing changed (it did: an item whose classifier and labels disagreed flipped at every snapshot after its
     * minibatch), and it must still republish an item whose class on its labels alone moved with the confusions.
     */
    @Test
    void aRecheckRepublishesOnlyWhatMovedOnTheLabelsAloneNotWhatTheClassifierTipped() throws IOException {
        LabelModel model = LabelModels.create(LABEL_ONLY);
        ConsensusLedger ledger = new ConsensusLedger();
        // x is right and y wrong (the next class) on 300 items, beside two reliable annotators.
        String[] all = {"g1", "g2", "x", "y"};
        train(model, 1000, 1300, all, (a, truth) -> a == 3 ? (truth + 1) % K : truth);
        // Item 4 (class 1 on its labels alone), which the classifier says is class 2; item 7, which x says is 1.
        model.train(new float[0], new long[] {4, 7}, new String[] {"g1", "x"}, new int[] {1, 1}, 2);
        ledger.labelled(4, id(4), MAX_ITEMS);
        ledger.labelled(7, id(7), MAX_ITEMS);
        List<Consensus> out = new ArrayList<>();
        ledger.publishPending(model, "t", "default", 1, 0, 1000, false,
                key -> key == 4 ? new float[] {0.0001f, 0.0001f, 0.9998f} : null, out::add);
        assertThat(out).extracting(c -> c.getItem() + "=" + c.getMostLikely())
                .as("the classifier's prediction tips item 4").containsExactly(id(4) + "=2", id(7) + "=1");
        assertThat(model.consensus(4, null).mostLikely()).as("item 4 on its labels alone").isEqualTo(1);

        assertThat(recheck(model, ledger, 2)).as("nothing moved on the labels alone").isEmpty();

        // Now x says the next class, on many more items: item 7 (x's 1) moves to class 0 on its labels alone.
        train(model, 2000, 4000, all, (a, truth) -> a == 2 ? (truth + 1) % K : truth);
        assertThat(model.consensus(7, null).mostLikely()).as("item 7 on its labels alone, now").isEqualTo(0);
        assertThat(model.consensus(4, null).mostLikely()).as("item 4 on its labels alone, still").isEqualTo(1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ledger.writeTo(new DataOutputStream(bytes));
        ConsensusLedger restored = ConsensusLedger.readFrom(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), MAX_ITEMS, 5);
        for (ConsensusLedger l : List.of(ledger.copy(), restored, ledger)) {
            assertThat(recheck(model, l, 3)).as("item 7 moved, item 4 did not").containsExactly(id(7) + "=0");
            assertThat(recheck(model, l, 4)).as("and is published").isEmpty();
        }
    }
}
