package dev.chorus.cli.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The scikit-learn peer of Chorus's benchmarks: {@code cli/src/main/python/sklearn_peer.py}, run by the first
 * Python interpreter that imports scikit-learn. Its figures come back as the JSON object it prints, or as
 * {@code {"unavailable": reason}} when it cannot run here.
 */
public final class SklearnPeer {

  /** Key of the reason a peer did not run, in place of its figures. */
  public static final String UNAVAILABLE = "unavailable";
  /**
   * Interpreters to try, in order: {@code python3} on the PATH, then Debian's {@code /usr/bin/python3} (where
   * {@code python3-sklearn} installs) in case the PATH's is another installation.
   */
  public static final List<String> PYTHONS = List.of("python3", "/usr/bin/python3");
  /** How long the peer may run before it is stopped; a pass of both its models takes about a minute. */
  private static final long TIMEOUT_MINUTES = 30;
  private static final ObjectMapper JSON = new ObjectMapper();

  private SklearnPeer() {}

  /** The first of {@code pythons} that imports scikit-learn. */
  public static Optional<String> findPython(List<String> pythons) {
    for (String python : pythons) {
      try {
        if (execute(List.of(python, "-c", "import sklearn"), 1, TimeUnit.MINUTES).exitCode() == 0) {
          return Optional.of(python);
        }
      } catch (IOException e) {
        // Not installed under that name: try the next.
      }
    }
    return Optional.empty();
  }

  /** Why no peer runs when {@link #findPython} found none of {@code pythons}. */
  public static String noPythonReason(List<String> pythons) {
    return "no Python with scikit-learn among " + pythons + " (on Debian: apt-get install python3-sklearn)";
  }

  /**
   * Runs {@code script} with {@code args} under {@code python}: the JSON object it prints, with the interpreter
   * under {@code python}, or {@code {"unavailable": reason}} when it fails.
   */
  public static Map<String, Object> run(String python, Path script, List<String> args) {
    List<String> command = new ArrayList<>(List.of(python, script.toString()));
    command.addAll(args);
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      ProcessOutput output = execute(command, TIMEOUT_MINUTES, TimeUnit.MINUTES);
      if (output.exitCode() != 0) {
        figures.put(UNAVAILABLE, "peer " + command + " exited with " + output.exitCode() + ": "
            + output.stderr().strip());
        return figures;
      }
      figures.putAll(JSON.readValue(output.stdout(), new TypeReference<LinkedHashMap<String, Object>>() { }));
      figures.put("python", python);
    } catch (IOException e) {
      figures.put(UNAVAILABLE, "peer " + command + " failed: " + e.getMessage());
    }
    return figures;
  }

  private record ProcessOutput(int exitCode, String stdout, String stderr) {}

  /** Runs {@code command}, reading both streams concurrently so that neither pipe can fill and block it. */
  private static ProcessOutput execute(List<String> command, long timeout, TimeUnit unit) throws IOException {
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()));
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
    try {
      if (!process.waitFor(timeout, unit)) {
        process.destroyForcibly();
        throw new IOException("timed out after " + timeout + " " + unit.toString().toLowerCase(Locale.ROOT));
      }
      return new ProcessOutput(process.exitValue(), stdout.join(), stderr.join());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + command, e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
