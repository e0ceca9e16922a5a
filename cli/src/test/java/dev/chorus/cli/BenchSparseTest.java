package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.bench.SklearnPeer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench sparse} on twelve committed stanzas of the package catalogue: keys and sane values. The
 * sampled-softmax track has its own test ({@code SampledSoftmaxBenchmarkTest}) and is left out here.
 */
class BenchSparseTest {

  @TempDir
  Path dir;

  @Test
  void benchSparseOnTheFixtureWritesEveryKeyWithSaneValues() throws IOException, URISyntaxException {
    Path packages = Path.of(BenchSparseTest.class.getResource("/dev/chorus/cli/data/packages-v1/Packages").toURI());
    Path json = dir.resolve("sparse.json");
    Path plots = dir.resolve("plots");

    CliRun run = CliRun.run("bench", "sparse", "--packages", packages.toString(), "--limit", "11",
        "--min-section-packages", "2", "--tracks", "packages,memory", "--json", json.toString(), "--plots", plots.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode results = new ObjectMapper().readTree(json.toFile());
    assertThat(results.has("e2e")).as("--tracks runs the tracks it names only").isFalse();
    assertThat(results.has("sampled_softmax")).as("--tracks runs the tracks it names only").isFalse();
    JsonNode config = results.at("/packages/config");
    assertThat(config.at("/examples").asInt()).isEqualTo(11);
    assertThat(config.at("/classes").asInt()).isEqualTo(3);
    assertThat(config.at("/bits").asInt()).isEqualTo(20);
    assertThat(config.at("/dropped_sections/zope").asInt()).isEqualTo(1);
    assertThat(config.at("/held_out").asInt()).isEqualTo(1);
    for (String learner : new String[] {"chorus_ftrl", "chorus_adagrad"}) {
      JsonNode figures = results.at("/packages/" + learner);
      assertThat(figures.at("/accuracy").asDouble(-1)).as(learner).isBetween(0.0, 1.0);
      assertThat(figures.at("/prequential_accuracy").asDouble(-1)).as(learner).isBetween(0.0, 1.0);
      assertThat(figures.at("/examples_per_s").asDouble()).as(learner).isPositive();
      assertThat(figures.at("/curve").size()).as(learner).isPositive();
    }
    JsonNode sklearn = results.at("/packages/sklearn");
    if (SklearnPeer.findPython(SklearnPeer.PYTHONS).isPresent()) {
      assertThat(sklearn.has(SklearnPeer.UNAVAILABLE)).as(sklearn.toString()).isFalse();
      assertThat(sklearn.at("/accuracy").asDouble(-1)).isBetween(0.0, 1.0);
      assertThat(sklearn.at("/prequential_accuracy").asDouble(-1)).isBetween(0.0, 1.0);
      assertThat(sklearn.at("/examples_per_s").asDouble()).isPositive();
      // scikit-learn's FeatureHasher hashed every example to exactly the features ours did.
      assertThat(sklearn.at("/hash_checked").asInt()).isEqualTo(11);
      assertThat(sklearn.at("/hash_mismatches").asInt()).isZero();
    } else {
      assertThat(sklearn.at("/" + SklearnPeer.UNAVAILABLE).asText()).isNotEmpty();
    }
    for (String dims : new String[] {"dims_2_20", "dims_2_24"}) {
      JsonNode memory = results.at("/memory/" + dims);
      long parameters = memory.at("/parameters").asLong();
      assertThat(parameters).as(dims).isEqualTo((1L << Integer.parseInt(dims.substring(7))) + 1);
      // At least the arrays' stated bytes; G1 gives each array over half a region (2^20 + 1 floats is just over
      // 4 MiB) whole regions of its own, which can double them (twice and a bit with the touched-row bitmap).
      long stated = parameters * memory.at("/stated_bytes_per_parameter").asLong();
      assertThat(memory.at("/stated_bytes").asLong()).isEqualTo(stated);
      assertThat(memory.at("/heap_bytes").asLong()).as(dims).isBetween(stated * 9 / 10, stated * 5 / 2);
      assertThat(memory.at("/stated_bytes_per_parameter").asLong()).isEqualTo(16);
    }
    assertThat(plots.resolve("sparse-packages-curves.png")).isRegularFile();
    assertThat(plots.resolve("sparse-memory.png")).isRegularFile();
    assertThat(Files.size(plots.resolve("sparse-packages-curves.png"))).isPositive();
  }

  @Test
  void tracksNamesOnlyTheFourTracksAndExcludesTheShorthands() {
    CliRun unknown = CliRun.run("bench", "sparse", "--tracks", "packages,memroy", "--json", dir.resolve("a").toString());
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("expected tracks among [packages, memory, sampled_softmax, e2e]")
        .contains("memroy");
    CliRun both = CliRun.run("bench", "sparse", "--tracks", "memory", "--no-e2e");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("--tracks, --no-e2e and --e2e-only exclude each other");
  }

  @Test
  void theMemoryTrackAloneNeedsNoPackagesFile() throws IOException {
    Path json = dir.resolve("memory.json");
    CliRun run = CliRun.run("bench", "sparse", "--tracks", "memory", "--packages", dir.resolve("absent").toString(),
        "--json", json.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode results = new ObjectMapper().readTree(json.toFile());
    assertThat(results.fieldNames()).toIterable().containsExactly("memory");
  }
}
