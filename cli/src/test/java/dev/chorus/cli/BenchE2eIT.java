package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.blas.Blas;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench e2e} at a tiny size, for real: embedded broker, MiniCluster, the train and serve jobs, a child
 * JVM on pure-Java BLAS and a checkpoint line. Checks the figures' keys and consistency, never their speed.
 */
class BenchE2eIT {

    static final int EXAMPLES = 3000;

    @TempDir
    Path dir;

    @Test
    void measuresEveryLineItRunsUnderTheDocumentedKeys() throws Exception {
        Path json = dir.resolve("e2e.json");
        CliRun run = CliRun.run("bench", "e2e", "--examples", String.valueOf(EXAMPLES), "--no-progress", "--no-peers",
                "--lines", "softmax.p1,serve.p1,softmax_java.p1,mlp256_dawid_skene.p1,checkpoint.mlp256",
                "--runs", "2", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("examples/s", "ratio to raw", "raw_consume", "softmax.p1", "serve.p1");

        JsonNode results = new ObjectMapper().readTree(json.toFile());
        assertThat(results.at("/raw_consume/examples_per_s").asDouble()).isPositive();
        for (String line : new String[] {"/softmax/p1", "/serve/p1", "/softmax_java/p1"}) {
            assertThat(results.at(line + "/examples_per_s").asDouble()).as(line).isPositive();
            assertThat(results.at(line + "/ratio_to_raw").asDouble()).as(line).isPositive();
            assertThat(results.at(line + "/predictions").asLong()).as(line).isEqualTo(EXAMPLES);
            assertThat(results.at(line + "/dead_letters").asLong()).as(line).isZero();
        }
        for (String line : new String[] {"/softmax/p1", "/softmax_java/p1"}) {
            assertThat(results.at(line + "/examples_seen").asLong()).as("%s: the last snapshot saw every example", line)
                    .isEqualTo(EXAMPLES);
            assertThat(results.at(line + "/all_examples_seen").asBoolean()).as(line).isTrue();
        }
        assertThat(results.at("/softmax/p1/blas_backend").asText()).isEqualTo(Blas.get().backend().name());
        assertThat(results.at("/softmax_java/p1/blas_backend").asText())
                .as("the child JVM ran with -Dchorus.blas=java").isEqualTo("JAVA");

        assertThat(results.at("/warmup/runs_examples_per_s").size()).as("warm-up runs").isBetween(3, 6);
        assertThat(results.at("/softmax_java/p1/warmup_runs_examples_per_s").size()).isBetween(3, 6);
        // --runs 2: each line and the raw consumer run twice, reporting both rates and the second (the only warm one).
        for (String line : List.of("/raw_consume", "/softmax/p1", "/serve/p1", "/softmax_java/p1")) {
            assertThat(results.at(line + "/runs_examples_per_s").size()).as(line).isEqualTo(2);
            assertThat(results.at(line + "/runs_examples_per_s/1").asDouble()).as(line)
                    .isEqualTo(results.at(line + "/examples_per_s").asDouble());
            assertThat(results.at(line + "/settled").isBoolean()).as(line).isTrue();
        }
        assertThat(results.at("/config/runs_max").asInt()).isEqualTo(2);

        JsonNode dawidSkene = results.at("/mlp256_dawid_skene/p1");
        if (dawidSkene.has("skipped")) {
            assertThat(dawidSkene.get("skipped").asText()).contains("labelModel");
        } else {
            assertThat(dawidSkene.get("examples_per_s").asDouble()).isPositive();
        }

        assertThat(results.at("/checkpoint/mlp256/params").asLong()).isEqualTo(784 * 256 + 256 + 256 * 10 + 10);
        assertThat(results.at("/checkpoint/mlp256/checkpoints").asInt()).isEqualTo(10);
        assertThat(results.at("/checkpoint/params_200k/duration_ms").isNumber()).isTrue();
        assertThat(results.at("/checkpoint/mlp256/size_bytes").asLong())
                .as("the checkpoint holds at least the parameters").isGreaterThan(203_530L * 4);
        assertThat(results.at("/config/examples").asInt()).isEqualTo(EXAMPLES);
    }
}
