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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What the consensus ledger publishes, and when, against a real label model. */
class ConsensusLedgerTest {

    static final ModelSpec SPEC = ModelSpec.parse("""
            {"algorithm":"softmax-regression","inputDim":2,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3,
             "labelModel":{"method":"dawid-skene","maxAnnotators":8}}""");
    static final int K = 3;
    /** Items of the warm-up stream: each labelled by the three experts. */
    static final int ITEMS = 800;
    /** The item a newcomer labels 2 though its features say 0. */
    static final long ODD_ONE = 1_000_000;

    /** Class {@code c}'s centre: three well-separated blobs in the plane. */
    static float[] centre(int c) {
        double angle = 2 * Math.PI * c / K;
        return new float[] {(float) (3 * Math.cos(angle)), (float) (3 * Math.sin(angle))};
    }

    static int truth(int item) {
        return item % K;
    }

    /**
     * Trains {@code model} on {@code labels[e]} of item {@code items[e]} by {@code annotators[e]}, the item's features
     * its class's centre plus noise, 16 events a minibatch.
     */
    static void train(LabelModel model, List<long[]> events, List<String> annotators, SplittableRandom random) {
        for (int from = 0; from < events.size(); from += 16) {
            int n = Math.min(16, events.size() - from);
            float[] x = new float[n * 2];
            long[] items = new long[n];
            String[] who = new String[n];
            int[] labels = new int[n];
            for (int e = 0; e < n; e++) {
                long[] event = events.get(from + e);
                items[e] = event[0];
                labels[e] = (int) event[1];
                who[e] = annotators.get(from + e);
                float[] c = centre(truth((int) (event[0] % ITEMS)));
                x[2 * e] = c[0] + (float) random.nextGaussian() * 0.5f;
                x[2 * e + 1] = c[1] + (float) random.nextGaussian() * 0.5f;
            }
            model.train(x, items, who, labels, n);
        }
    }

    /** A Dawid–Skene model past its warm-up: three experts, right 90% of the time, label every item. */
    static LabelModel warm(SplittableRandom random) {
        LabelModel model = LabelModels.create(SPEC);
        List<long[]> events = new ArrayList<>();
        List<String> who = new ArrayList<>();
        for (int item = 0; item < ITEMS; item++) {
            for (int a = 0; a < 3; a++) {
                int label = random.nextDouble() < 0.9 ? truth(item) : (truth(item) + 1 + random.nextInt(K - 1)) % K;
                events.add(new long[] {item, label});
                who.add("expert-" + a);
            }
        }
        train(model, events, who, random);
        assertThat(model.examplesSeen()).as("past Dawid–Skene's warm-up").isGreaterThanOrEqualTo(2000);
        return model;
    }

    /**
     * An item that looks like class 0 gets one label, 2, from a new annotator: published right after its minibatch
     * with the classifier's prediction as prior, its most likely class is 0; on its labels alone, 2. Nothing changes
     * before the next snapshot's recheck, which must not flip the record to 2: it compares like with like.
     */
    @Test
    void theRecheckRepublishesNoItemWhoseLabelsAndConfusionsStoodStill() {
        SplittableRandom random = new SplittableRandom(5);
        LabelModel model = warm(random);
        float[] x = centre(0);
        float[] prior = new float[K];
        model.predictProba(x, 0, prior);
        model.train(x, new long[] {ODD_ONE}, new String[] {"newcomer"}, new int[] {2}, 1);
        assertThat(model.consensus(ODD_ONE, prior).mostLikely()).as("with the classifier's prior").isZero();
        assertThat(model.consensus(ODD_ONE, null).mostLikely()).as("on its labels alone").isEqualTo(2);

        ConsensusLedger ledger = new ConsensusLedger();
        ledger.labelled(ODD_ONE, "odd-one", 1000);
        List<Consensus> out = new ArrayList<>();
        assertThat(ledger.publishPending(model, "t", "default", 1, 0, 0, false,
                key -> key == ODD_ONE ? prior : null, out::add)).isEqualTo(1);
        assertThat(out).singleElement().satisfies(c -> assertThat(c.getMostLikely()).isZero());

        assertThat(ledger.recheck(model, "t", "default", 2, 1, out::add)).as("republished").isZero();
        assertThat(out).hasSize(1);
    }

    /**
     * The recheck still follows the confusions: the newcomer then labels 300 of the experts' items, always one class
     * below the truth, and its label 2 comes to mean class 0; the odd item's consensus on its labels alone moves from 2
     * to 0, and the recheck republishes it.
     */
    @Test
    void theRecheckRepublishesAnItemWhoseAnnotatorsConfusionsMovedItsClass() {
        SplittableRandom random = new SplittableRandom(5);
        LabelModel model = warm(random);
        float[] x = centre(0);
        float[] prior = new float[K];
        model.predictProba(x, 0, prior);
        model.train(x, new long[] {ODD_ONE}, new String[] {"newcomer"}, new int[] {2}, 1);
        ConsensusLedger ledger = new ConsensusLedger();
        ledger.labelled(ODD_ONE, "odd-one", 1000);
        List<Consensus> out = new ArrayList<>();
        ledger.publishPending(model, "t", "default", 1, 0, 0, false, key -> key == ODD_ONE ? prior : null, out::add);

        List<long[]> events = new ArrayList<>();
        List<String> who = new ArrayList<>();
        for (int item = 0; item < 300; item++) {
            events.add(new long[] {item, (truth(item) + K - 1) % K});
            who.add("newcomer");
        }
        train(model, events, who, random);
        assertThat(model.consensus(ODD_ONE, null).mostLikely()).as("on its labels alone, now").isZero();

        assertThat(ledger.recheck(model, "t", "default", 2, 1, out::add)).isEqualTo(1);
        assertThat(out).hasSize(2);
        assertThat(out.get(1).getMostLikely()).isZero();
        assertThat(out.get(1).getVersion()).isEqualTo(2);
    }

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
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), MAX_ITEMS);
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
}
