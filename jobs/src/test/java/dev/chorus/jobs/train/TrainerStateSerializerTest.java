package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class TrainerStateSerializerTest {

    static TrainerState state() {
        ModelSpec spec = ModelSpec.parse(MinibatchSgdFunctionTest.SPEC);
        TrainerState s = new TrainerState(OnlineLearner.create(spec), 50);
        float[] x = MinibatchSgdFunctionTest.DATA.features();
        int[] y = MinibatchSgdFunctionTest.DATA.labels();
        float[] w = new float[8];
        java.util.Arrays.fill(w, 1f);
        s.learner.trainMinibatch(x, y, w, 8);
        System.arraycopy(x, 0, s.batchFeatures, 0, 3 * 4);
        s.batchLabels[0] = 2;
        s.batchLabels[1] = 0;
        s.batchLabels[2] = 1;
        s.batchWeights[0] = 1f;
        s.batchWeights[1] = 0.5f;
        s.batchWeights[2] = 2f;
        s.batchFill = 3;
        s.prequential.add(true);
        s.prequential.add(false);
        s.publishedVersion = 1;
        s.batchDeadline = 12345;
        s.nextSnapshotAt = 67890;
        s.predictions = 11;
        return s;
    }

    static byte[] bytes(TrainerState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        new TrainerStateSerializer().serialize(s, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void roundTripIsExactIncludingThePartialMinibatch() throws IOException {
        TrainerState s = state();
        byte[] first = bytes(s);
        TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(first));
        assertThat(bytes(back)).isEqualTo(first);
        assertThat(back.batchFill).isEqualTo(3);
        assertThat(back.batchLabels).startsWith(2, 0, 1);
        assertThat(back.batchWeights).startsWith(1f, 0.5f, 2f);
        assertThat(back.version()).isEqualTo(1);
        assertThat(back.prequential.count()).isEqualTo(2);
        assertThat(back.batchDeadline).isEqualTo(12345);
        assertThat(back.nextSnapshotAt).isEqualTo(67890);
        assertThat(back.predictions).isEqualTo(11);
    }

    @Test
    void copyIsDeep() throws IOException {
        TrainerState s = state();
        TrainerState copy = new TrainerStateSerializer().copy(s);
        byte[] before = bytes(copy);
        s.learner.trainMinibatch(s.batchFeatures, s.batchLabels, s.batchWeights, 3);
        s.batchFeatures[0] = 99f;
        s.prequential.add(true);
        assertThat(bytes(copy)).isEqualTo(before);
    }

    @Test
    void unknownLayoutVersionIsRejectedWithBothVersions() {
        DataOutputSerializer out = new DataOutputSerializer(16);
        assertThatThrownBy(() -> {
            out.writeInt(99);
            new TrainerStateSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        }).isInstanceOf(IOException.class).hasMessageContaining("expected layout version 1, got 99");
    }
}
