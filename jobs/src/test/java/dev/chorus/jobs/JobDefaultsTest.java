package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Each job default is written once, in the settings: options parsed from no arguments (train: only its required
 * --spec) yield settings equal, getter by getter, to the settings' own defaults.
 */
class JobDefaultsTest {

    /** Settings no option sets: the model spec (a required option) and the prequential window. */
    private static final Set<String> WITHOUT_OPTION = Set.of("specs", "prequentialWindow");

    @Test
    void trainOptionsDefaultToTheTrainSettingsDefaults() throws Exception {
        TrainJobOptions options = new TrainJobOptions();
        ((JobOptions) options).environment = Map.of();
        new CommandLine(options).parseArgs("--spec", JobOptionsTest.SPEC);
        TrainSettings parsed = options.toSettings();
        TrainSettings defaults = new TrainSettings().specs(TaskSpecs.ofDefault(JobOptionsTest.SPEC));

        assertThat(getters(parsed)).isEqualTo(getters(defaults)).containsKeys("batchTimeoutMs",
                "snapshotIntervalMs", "annotatorsTopic", "checkpointIntervalMs", "maxRecordBytes", "taskBound.maxTasks");
    }

    @Test
    void serveOptionsDefaultToTheServeSettingsDefaults() throws Exception {
        ServeJobOptions options = new ServeJobOptions();
        ((JobOptions) options).environment = Map.of();
        new CommandLine(options).parseArgs();

        assertThat(getters(options.toSettings())).isEqualTo(getters(new ServeSettings()))
                .containsKeys("variant", "maxWaitingPerTask", "bufferTimeoutMs", "deadLetterMaxOriginalBytes");
    }

    /** Every public no-argument getter of the settings (TaskBound by its parts, as it has no equals). */
    private static Map<String, Object> getters(JobSettings<?> settings) throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Method m : settings.getClass().getMethods()) {
            if (m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers())
                    && JobSettings.class.isAssignableFrom(m.getDeclaringClass())
                    && !m.getReturnType().isAssignableFrom(settings.getClass())
                    && !WITHOUT_OPTION.contains(m.getName())) {
                Object value = m.invoke(settings);
                if (value instanceof TaskBound bound) {
                    values.put(m.getName() + ".maxTasks", bound.maxTasks());
                    values.put(m.getName() + ".allowedTasks", List.copyOf(bound.allowed()));
                } else {
                    values.put(m.getName(), value);
                }
            }
        }
        return values;
    }
}
