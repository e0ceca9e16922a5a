package dev.chorus.jobs.train;

import dev.chorus.jobs.KeyedBroadcastHarness;
import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;

/**
 * The trainer's operator (keyed by variant key, connected to the specs broadcast) under test, with or without a
 * metrics environment ({@link MockEnvironment}).
 */
public final class TrainerHarness extends KeyedBroadcastHarness<VariantExample, SpecChange, Prediction> {

    public TrainerHarness(TrainSettings settings) throws Exception {
        this(settings, 1, 1, 0);
    }

    public TrainerHarness(TrainSettings settings, int maxParallelism, int parallelism, int subtask) throws Exception {
        super(operator(settings), VariantExample::key, maxParallelism, parallelism, subtask);
    }

    public TrainerHarness(TrainSettings settings, MockEnvironment environment) throws Exception {
        super(operator(settings), VariantExample::key, environment);
    }

    private static CoBroadcastWithKeyedOperator<String, VariantExample, SpecChange, Prediction> operator(
            TrainSettings settings) {
        return new CoBroadcastWithKeyedOperator<>(new MinibatchSgdFunction(settings),
                List.of(VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR));
    }

    public int numKeyedStateEntries() {
        return ((HeapKeyedStateBackend<?>) operator().getKeyedStateBackend()).numKeyValueStateEntries();
    }
}
