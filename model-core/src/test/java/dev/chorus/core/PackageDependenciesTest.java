package dev.chorus.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** model-core's packages form layers: the model side never reaches into the annotators side, and no two packages
 * depend on each other, directly or through others (issue 15). Read by jdeps from the compiled main classes. */
class PackageDependenciesTest {

  private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.chorus\\.core[\\w.]*)\\s+->\\s+"
      + "(dev\\.chorus\\.core[\\w.]*)\\s");
  private static Map<String, Set<String>> edges;

  @BeforeAll
  static void readDependencies() throws Exception {
    Path classes = Path.of(ModelSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
        classes.toString());
    assertThat(rc).as("jdeps exit code, stderr: %s", err).isZero();
    edges = new TreeMap<>();
    for (String line : out.toString().split("\\R")) {
      Matcher m = EDGE.matcher(line);
      if (m.find() && !m.group(1).equals(m.group(2))) {
        edges.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
      }
    }
    // Guards the parsing: ModelSpec is known to use the optim package.
    assertThat(edges.get("dev.chorus.core.model")).as("jdeps output:%n%s", out).contains("dev.chorus.core.optim");
  }

  @Test
  void modelPackageDoesNotUseAnnotators() {
    assertThat(edges.getOrDefault("dev.chorus.core.model", Set.of()))
        .as("packages dev.chorus.core.model depends on").doesNotContain("dev.chorus.core.annotators");
  }

  /** model-core is the learning library: the benchmark runners that start Python live in the cli module. */
  @Test
  void startsNoProcess() throws Exception {
    Path classes = Path.of(ModelSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    StringWriter out = new StringWriter();
    int rc = ToolProvider.findFirst("jdeps").orElseThrow().run(new PrintWriter(out), new PrintWriter(new StringWriter()),
        "-verbose:class", "-filter:none", classes.toString());
    assertThat(rc).isZero();
    List<String> starting = new ArrayList<>();
    for (String line : out.toString().split("\\R")) {
      if (line.matches("\\s+\\S+\\s+->\\s+java\\.lang\\.(ProcessBuilder|Process|ProcessHandle)\\b.*")) {
        starting.add(line.trim());
      }
    }
    // Guards the parsing: the learner reaches the BLAS facade.
    assertThat(out.toString()).contains("-> dev.chorus.core.blas.Blas");
    assertThat(starting).as("model-core classes that start or watch a process").isEmpty();
  }

  @Test
  void noPackageCycle() {
    List<List<String>> cycles = new ArrayList<>();
    for (String start : edges.keySet()) {
      findCycles(start, start, new ArrayList<>(List.of(start)), new HashSet<>(), cycles);
    }
    assertThat(cycles).as("package cycles in model-core, edges %s", edges).isEmpty();
  }

  /** Adds each cycle through {@code start} whose other packages sort after it, so each cycle is reported once. */
  private static void findCycles(String start, String at, List<String> path, Set<String> seen,
      List<List<String>> cycles) {
    for (String next : edges.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        List<String> cycle = new ArrayList<>(path);
        cycle.add(start);
        cycles.add(cycle);
      } else if (next.compareTo(start) > 0 && seen.add(next)) {
        path.add(next);
        findCycles(start, next, path, seen, cycles);
        path.remove(path.size() - 1);
      }
    }
  }
}
