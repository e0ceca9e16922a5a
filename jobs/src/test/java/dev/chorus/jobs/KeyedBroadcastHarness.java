package dev.chorus.jobs;

import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * An operator keyed by a string (a task, a variant key) and connected to a broadcast, under test with a metrics environment
 * ({@link RegisteredMetrics}): Flink's KeyedBroadcastOperatorTestHarness takes none.
 */
public class KeyedBroadcastHarness<IN1, IN2, OUT> extends AbstractStreamOperatorTestHarness<OUT> {
    private final CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator;

    public KeyedBroadcastHarness(CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator,
            KeySelector<IN1, String> key, MockEnvironment environment) throws Exception {
        super(operator, environment);
        this.operator = operator;
        keyed(key);
    }

    /** The harness as subtask {@code subtask} of {@code parallelism}, without a metrics environment. */
    public KeyedBroadcastHarness(CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator,
            KeySelector<IN1, String> key, int maxParallelism, int parallelism, int subtask) throws Exception {
        super(operator, maxParallelism, parallelism, subtask);
        this.operator = operator;
        keyed(key);
    }

    private void keyed(KeySelector<IN1, String> key) {
        config.setStatePartitioner(0, key);
        config.setStateKeySerializer(StringSerializer.INSTANCE);
        config.serializeAllConfigs();
    }

    /** The operator under test. */
    protected CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator() {
        return operator;
    }

    public void processElement(IN1 element, long timestamp) throws Exception {
        StreamRecord<IN1> record = new StreamRecord<>(element, timestamp);
        operator.setKeyContextElement1(record);
        operator.processElement1(record);
    }

    public void processBroadcastElement(IN2 element, long timestamp) throws Exception {
        operator.processElement2(new StreamRecord<>(element, timestamp));
    }

    /** A watermark on both inputs: the operator's is the lower of the two. */
    /** The operator's broadcast state {@code descriptor}, as this instance holds it. */
    public <K, V> org.apache.flink.api.common.state.BroadcastState<K, V> getBroadcastState(
            org.apache.flink.api.common.state.MapStateDescriptor<K, V> descriptor) throws Exception {
        return operator().getOperatorStateBackend().getBroadcastState(descriptor);
    }

    public void processWatermark(Watermark mark) throws Exception {
        operator.processWatermark1(mark);
        operator.processWatermark2(mark);
    }
}
