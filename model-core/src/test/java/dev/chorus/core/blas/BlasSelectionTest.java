package dev.chorus.core.blas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import org.junit.jupiter.api.Test;

class BlasSelectionTest {

  /** CI sets this where OpenBLAS is installed, so a silently lost native backend fails the build. */
  private static final String EXPECT_NATIVE = "CHORUS_EXPECT_NATIVE_BLAS";

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
}
