package dev.chorus.jobs;

import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * An operator keyed by task and connected to a broadcast, under test with a metrics environment
 * ({@link RegisteredMetrics}): Flink's KeyedBroadcastOperatorTestHarness takes none.
 */
public class KeyedBroadcastHarness<IN1, IN2, OUT> extends AbstractStreamOperatorTestHarness<OUT> {
    private final CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator;

    public KeyedBroadcastHarness(CoBroadcastWithKeyedOperator<String, IN1, IN2, OUT> operator,
            KeySelector<IN1, String> task, MockEnvironment environment) throws Exception {
        super(operator, environment);
        this.operator = operator;
        config.setStatePartitioner(0, task);
        config.setStateKeySerializer(StringSerializer.INSTANCE);
        config.serializeAllConfigs();
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
    public void processWatermark(Watermark mark) throws Exception {
        operator.processWatermark1(mark);
        operator.processWatermark2(mark);
    }
}
