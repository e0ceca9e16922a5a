package dev.chorus.core.blas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BlasSelectionTest {

  /** CI sets this where OpenBLAS is installed, so a silently lost native backend fails the build. */
  private static final String EXPECT_NATIVE = "CHORUS_EXPECT_NATIVE_BLAS";

  @Test
  void theNativeDescriptionNamesTheOpenBlasSettingsThatAreSet() {
    assertThat(BackendProbe.openBlasSettings(Map.of())).isEmpty();
    assertThat(BackendProbe.openBlasSettings(Map.of("OPENBLAS_CORETYPE", "", "HOME", "/root"))).isEmpty();
    assertThat(BackendProbe.openBlasSettings(Map.of("OPENBLAS_CORETYPE", "Haswell", "OPENBLAS_NUM_THREADS", "1")))
        .isEqualTo(" with OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE=Haswell");
    if (Blas.isAvailable(BlasBackend.NATIVE)) {
      assertThat(BackendProbe.result(BlasBackend.NATIVE).description())
          .endsWith(BackendProbe.openBlasSettings(System.getenv()));
    }
  }

  @Test
  void defaultIsTheBestAvailableBackend() {
    Blas blas = Blas.get();
    assertThat(blas.backend()).isNotNull();
    assertThat(blas.description()).isNotBlank();
    for (BlasBackend better : BlasBackend.values()) {
      if (better == blas.backend()) {
        break;
      }
      assertThat(Blas.isAvailable(better)).as("%s is better than the chosen %s", better, blas.backend()).isFalse();
      assertThat(Blas.unavailableReason(better)).isNotBlank();
    }
    assertThat(Blas.get()).isSameAs(blas);
  }

  @Test
  void defaultIsNativeWhereTheEnvironmentPromisesIt() {
    Blas blas = Blas.get();
    if (Boolean.parseBoolean(System.getenv(EXPECT_NATIVE))) {
      assertThat(blas.backend())
          .as("%s=true but native BLAS is unavailable: %s", EXPECT_NATIVE, Blas.unavailableReason(BlasBackend.NATIVE))
          .isEqualTo(BlasBackend.NATIVE);
      assertThat(blas.description()).contains("JNIBLAS");
    }
  }

  @Test
  void forBackendGivesThatBackendOrSaysWhyNot() {
    for (BlasBackend backend : BlasBackend.values()) {
      if (Blas.isAvailable(backend)) {
        assertThat(Blas.forBackend(backend).backend()).isEqualTo(backend);
        assertThat(Blas.unavailableReason(backend)).isNull();
      } else {
        assertThatIllegalStateException()
            .isThrownBy(() -> Blas.forBackend(backend))
            .withMessageStartingWith("BLAS backend " + backend + " is unavailable: ")
            .withMessageContaining(Blas.unavailableReason(backend));
      }
    }
  }

  @Test
  void vectorBackendIsAvailableWhenTheIncubatorModuleIsLoaded() {
    boolean moduleLoaded = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    assertThat(Blas.isAvailable(BlasBackend.VECTOR_API)).isEqualTo(moduleLoaded);
    assertThat(Blas.isAvailable(BlasBackend.JAVA)).isTrue();
    assertThat(Blas.forBackend(BlasBackend.JAVA).description()).doesNotContain("Vector");
  }

  @Test
  void theSystemPropertyNamesTheBackendOrTheBestIsChosen() {
    assertThat(System.getProperty(Blas.BACKEND_PROPERTY)).as("this test JVM leaves %s unset", Blas.BACKEND_PROPERTY)
        .isNull();
    assertThat(Blas.choose(null).backend()).isEqualTo(Blas.get().backend());
    assertThat(Blas.choose(" ").backend()).isEqualTo(Blas.get().backend());
    assertThat(BlasBackend.keys()).containsExactly("native", "vector-api", "java");
    for (BlasBackend backend : BlasBackend.values()) {
      if (Blas.isAvailable(backend)) {
        assertThat(Blas.choose(backend.key()).backend()).isEqualTo(backend);
        assertThat(Blas.choose(backend.key().toUpperCase(java.util.Locale.ROOT)).backend()).isEqualTo(backend);
      } else {
        assertThatIllegalStateException()
            .isThrownBy(() -> Blas.choose(backend.key()))
            .withMessageStartingWith("system property chorus.blas=" + backend.key() + " asks for the "
                + backend.label() + " BLAS backend, which is unavailable: ")
            .withMessageContaining(Blas.unavailableReason(backend));
      }
    }
    assertThat(Blas.choose("java").description()).doesNotContain("Vector");
  }

  @Test
  void anUnknownBackendNameIsRejectedWithTheNamesThatWork() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Blas.choose("openblas"))
        .withMessage("system property chorus.blas: expected one of [native, vector-api, java], got 'openblas'");
    assertThatIllegalArgumentException().isThrownBy(() -> Blas.choose("Vector API"));
  }

  @Test
  void getHonoursThePropertyAndKeepsSayingWhyItCannot() throws Exception {
    assertThat(probe("-Dchorus.blas=java", "--add-modules=jdk.incubator.vector")).isEqualTo("JAVA\nJAVA");
    assertThat(probe("-Dchorus.blas=vector-api"))
        .as("without the incubator module; the second call repeats the reason, not NoClassDefFoundError")
        .isEqualTo(("IllegalStateException: system property chorus.blas=vector-api asks for the Vector API BLAS "
            + "backend, which is unavailable: module jdk.incubator.vector is not loaded (start the JVM with "
            + "--add-modules=jdk.incubator.vector)\n").repeat(2).strip());
    assertThat(probe("-Dchorus.blas=fast")).isEqualTo(("IllegalArgumentException: system property chorus.blas: "
        + "expected one of [native, vector-api, java], got 'fast'\n").repeat(2).strip());
  }

  /** What {@link Probe} prints in a fresh JVM started with {@code jvmArgs} and this JVM's class path. */
  private static String probe(String... jvmArgs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmArgs));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // The log also writes to stdout: keep the probe's own lines.
    return out.lines().filter(line -> line.startsWith(Probe.PREFIX)).map(line -> line.substring(Probe.PREFIX.length()))
        .collect(java.util.stream.Collectors.joining("\n"));
  }

  /** Calls {@link Blas#get()} twice and prints the backend, or the exception's class and message, each time. */
  static final class Probe {
    static final String PREFIX = "probe: ";

    public static void main(String[] args) {
      for (int i = 0; i < 2; i++) {
        try {
          System.out.println(PREFIX + Blas.get().backend());
        } catch (RuntimeException e) {
          System.out.println(PREFIX + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
    }
  }
}
