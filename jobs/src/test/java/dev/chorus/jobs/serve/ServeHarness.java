package dev.chorus.jobs.serve;

import dev.chorus.jobs.KeyedBroadcastHarness;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The serve operator (keyed by task, connected to the models and champions broadcast) under test with a metrics
 * environment ({@link dev.chorus.jobs.RegisteredMetrics}).
 */
final class ServeHarness extends KeyedBroadcastHarness<Sourced<Example>, KafkaRecord, Prediction> {

    ServeHarness(ServeSettings settings, MockEnvironment environment) throws Exception {
        super(new CoBroadcastWithKeyedOperator<>(new ServeFunction(settings), ServeJob.BROADCAST_STATES),
                ServeFunctionTest::taskOf, environment);
    }

    /** The serve function under test. */
    ServeFunction function() {
        return (ServeFunction) operator().getUserFunction();
    }

    List<DeadLetter> deadLetters() {
        var out = getSideOutput(ServeFunction.DEAD_LETTERS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }
}
