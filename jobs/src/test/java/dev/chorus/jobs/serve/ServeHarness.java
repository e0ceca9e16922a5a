package dev.chorus.jobs.serve;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * The serve operator (keyed by task, connected to the models and champions broadcast) under test with a metrics
 * environment ({@link dev.chorus.jobs.RegisteredMetrics}): Flink's KeyedBroadcastOperatorTestHarness takes none.
 */
final class ServeHarness extends AbstractStreamOperatorTestHarness<Prediction> {
    private final CoBroadcastWithKeyedOperator<String, Example, KafkaRecord, Prediction> serve;

    ServeHarness(ServeSettings settings, MockEnvironment environment) throws Exception {
        this(new CoBroadcastWithKeyedOperator<>(new ServeFunction(settings), ServeJob.BROADCAST_STATES), environment);
    }

    private ServeHarness(CoBroadcastWithKeyedOperator<String, Example, KafkaRecord, Prediction> op,
            MockEnvironment environment) throws Exception {
        super(op, environment);
        this.serve = op;
        config.setStatePartitioner(0, (KeySelector<Example, String>) Example::getTask);
        config.setStateKeySerializer(StringSerializer.INSTANCE);
        config.serializeAllConfigs();
    }

    void processElement(Example example, long timestamp) throws Exception {
        StreamRecord<Example> record = new StreamRecord<>(example, timestamp);
        serve.setKeyContextElement1(record);
        serve.processElement1(record);
    }

    void processBroadcastElement(KafkaRecord record, long timestamp) throws Exception {
        serve.processElement2(new StreamRecord<>(record, timestamp));
    }

    /** A watermark on both inputs: the operator's is the lower of the two. */
    void processWatermark(Watermark mark) throws Exception {
        serve.processWatermark1(mark);
        serve.processWatermark2(mark);
    }

    List<DeadLetter> deadLetters() {
        var out = getSideOutput(ServeFunction.DEAD_LETTERS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }
}
