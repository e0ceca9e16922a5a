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
