package dev.chorus.cli.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** The pass-through ceiling checks each example as the train job does between its decoder and its router. */
class FlinkCeilingLinesTest {

    private static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":2,"numClasses":3,"batchSize":4}""";

    private static Example example(String task, float... features) {
        return Example.newBuilder().setId("e").setTask(task).setFeatures(Float32.pack(features)).setLabel(1)
                .setEventTime(0).build();
    }

    @Test
    void anExampleOfAnotherShapeThanItsTasksSpecIsRejectedNamingTheField() throws Exception {
        DecodeRecords.Check<Example> check = InstantiationUtil.clone(
                FlinkCeilingLines.checkedAgainstSpec(TaskSpecs.ofDefault(SPEC)));

        assertThat(check.check(example("iris", 1f, 2f))).isNull();
        assertThat(check.check(example("iris", 1f, 2f, 3f, 4f)).reason())
                .isEqualTo("field 'features': expected 2 float32 values, got 4");
    }

    @Test
    void theDecodersOwnChecksComeFirst() {
        DecodeRecords.Check<Example> check = FlinkCeilingLines.checkedAgainstSpec(
                TaskSpecs.of(null, java.util.Map.of("iris", SPEC)));

        assertThat(check.check(example("mnist", 1f, 2f, 3f)).reason())
                .isEqualTo("field 'task': expected one of [iris], got \"mnist\"");
    }
}
