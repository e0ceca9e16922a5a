package dev.chorus.jobs.train;

import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * The trainer's operator (keyed by variant key, connected to the specs broadcast) under test: Flink's
 * KeyedBroadcastOperatorTestHarness without a metrics environment, so this one takes a {@link MockEnvironment} too.
 */
public final class TrainerHarness extends AbstractStreamOperatorTestHarness<Prediction> {
    private final CoBroadcastWithKeyedOperator<String, VariantExample, SpecChange, Prediction> trainer;

    public TrainerHarness(TrainSettings settings) throws Exception {
        this(operator(settings), 1, 1, 0);
    }

    public TrainerHarness(TrainSettings settings, int maxParallelism, int parallelism, int subtask) throws Exception {
        this(operator(settings), maxParallelism, parallelism, subtask);
    }

    public TrainerHarness(TrainSettings settings, MockEnvironment environment) throws Exception {
        this(operator(settings), environment);
    }

    private TrainerHarness(CoBroadcastWithKeyedOperator<String, VariantExample, SpecChange, Prediction> op,
            int maxParallelism, int parallelism, int subtask) throws Exception {
        super(op, maxParallelism, parallelism, subtask);
        this.trainer = op;
        keyed();
    }

    private TrainerHarness(CoBroadcastWithKeyedOperator<String, VariantExample, SpecChange, Prediction> op,
            MockEnvironment environment) throws Exception {
        super(op, environment);
        this.trainer = op;
        keyed();
    }

    private static CoBroadcastWithKeyedOperator<String, VariantExample, SpecChange, Prediction> operator(
            TrainSettings settings) {
        return new CoBroadcastWithKeyedOperator<>(new MinibatchSgdFunction(settings),
                List.of(VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR));
    }

    private void keyed() {
        config.setStatePartitioner(0, (KeySelector<VariantExample, String>) VariantExample::key);
        config.setStateKeySerializer(StringSerializer.INSTANCE);
        config.serializeAllConfigs();
    }

    public void processElement(VariantExample element, long timestamp) throws Exception {
        StreamRecord<VariantExample> record = new StreamRecord<>(element, timestamp);
        trainer.setKeyContextElement1(record);
        trainer.processElement1(record);
    }

    public void processBroadcastElement(SpecChange change, long timestamp) throws Exception {
        trainer.processElement2(new StreamRecord<>(change, timestamp));
    }

    /** A watermark on both inputs: the operator's is the lower of the two. */
    public void processWatermark(Watermark mark) throws Exception {
        trainer.processWatermark1(mark);
        trainer.processWatermark2(mark);
    }

    public int numKeyedStateEntries() {
        return ((HeapKeyedStateBackend<?>) trainer.getKeyedStateBackend()).numKeyValueStateEntries();
    }
}
