package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The challengers a drift fork starts: the champion's hyperparameters, or points drawn from {@code forkSpace}. */
class DriftForkTest {

  private static final String MLP = """
      {"algorithm":"mlp","inputDim":784,"numClasses":10,"layers":[{"units":128,"activation":"relu"}],
       "optimizer":{"type":"adam","learningRate":0.001},"l2":1e-5,"seed":3""";

  private static VariantSpec spec(String drift) {
    return VariantSpec.parse(MLP + ",\"drift\":" + drift + "}", 16);
  }

  @Test
  void withoutASpaceEachChallengerHasTheChampionsSpecAndASeedOfItsOwn() {
    VariantSpec spec = spec("{\"detector\":\"page-hinkley\",\"reaction\":\"fork\",\"forkVariants\":2}");
    List<DriftSpec.ForkChallenger> second = spec.drift().fork("champ", spec.model(), 2);
    assertThat(second).extracting(DriftSpec.ForkChallenger::name).containsExactly("champ-f3", "champ-f4");
    assertThat(second).extracting(DriftSpec.ForkChallenger::spec)
        .containsExactly(spec.model().withSeed(6), spec.model().withSeed(7));
    assertThat(second).allSatisfy(c -> {
      assertThat(c.hyperparameters()).isEmpty();
      assertThat(c.note()).isEmpty();
    });
  }

  @Test
  void withASpaceEachChallengerDrawsItsPointAroundTheChampionReproduciblyAndEachEventAnew() {
    VariantSpec spec = spec("""
        {"detector":"adwin","reaction":"fork","forkVariants":3,
         "forkSpace":{"optimizer.learningRate":{"logUniform":[1e-4,1e-2]},"layers[0].units":[64,256]}}""");
    ModelSpec champion = spec.model();
    List<DriftSpec.ForkChallenger> first = spec.drift().fork("default", champion, 1);
    assertThat(first).extracting(DriftSpec.ForkChallenger::name)
        .containsExactly("default-f1", "default-f2", "default-f3");
    assertThat(VariantSpec.parse(spec.toJson(), 16).drift().fork("default", champion, 1))
        .as("the same on every reading").isEqualTo(first);
    Set<Object> rates = new HashSet<>();
    for (int i = 0; i < first.size(); i++) {
      DriftSpec.ForkChallenger c = first.get(i);
      assertThat(c.note()).isEmpty();
      assertThat(c.hyperparameters()).containsOnlyKeys("layers[0].units", "optimizer.learningRate");
      double rate = (Double) c.hyperparameters().get("optimizer.learningRate");
      long units = (Long) c.hyperparameters().get("layers[0].units");
      assertThat(rate).isBetween(1e-4, 1e-2);
      assertThat(units).isIn(64L, 256L);
      assertThat(c.spec().seed()).isEqualTo(3 + i + 1);
      // Only the drawn keys and the seed differ from the champion's spec.
      String withPoint = champion.toJson().replace("\"units\":128", "\"units\":" + units)
          .replace("\"learningRate\":0.001", "\"learningRate\":" + rate);
      assertThat(c.spec()).isEqualTo(ModelSpec.parse(withPoint).withSeed(3 + i + 1));
      rates.add(rate);
    }
    assertThat(rates).as("three points, not one").hasSize(3);
    List<DriftSpec.ForkChallenger> second = spec.drift().fork("default", champion, 2);
    assertThat(second).extracting(DriftSpec.ForkChallenger::name)
        .containsExactly("default-f4", "default-f5", "default-f6");
    assertThat(second).extracting(c -> c.hyperparameters().get("optimizer.learningRate"))
        .as("a later event draws other points").doesNotContainAnyElementsOf(rates);
    assertThat(spec.drift().fork("default", champion.withSeed(4), 1))
        .extracting(c -> c.hyperparameters().get("optimizer.learningRate"))
        .as("another champion seed draws other points").doesNotContainAnyElementsOf(rates);
  }

  @Test
  void aGridIsCoveredBeforeAPointRepeats() {
    VariantSpec spec = spec("""
        {"detector":"adwin","reaction":"fork","forkVariants":4,"forkSpace":{"l2":[0,1e-5,1e-4,1e-3]}}""");
    assertThat(spec.drift().fork("default", spec.model(), 1)).extracting(c -> c.hyperparameters().get("l2"))
        .containsExactlyInAnyOrder(0.0, 1e-5, 1e-4, 1e-3);
  }

  /**
   * A fork draws around the champion's spec as it is at the drift event; where a drawn value is valid alone but not
   * beside the champion's other hyperparameters (here an output initialisation that takes no limit, drawn for a
   * champion whose output is initialised uniformly within a limit), every challenger of that fork gets the champion's
   * hyperparameters, and the note says why.
   */
  @Test
  void aDrawnPointThatMakesNoValidSpecGivesTheChampionsHyperparametersAndSaysWhy() {
    VariantSpec spec = spec("""
        {"detector":"adwin","reaction":"fork","forkVariants":2,"forkSpace":{"init":["glorot-normal"]}}""");
    assertThat(spec.drift().fork("default", spec.model(), 1)).allSatisfy(c -> {
      assertThat(c.note()).isEmpty();
      assertThat(c.hyperparameters()).containsEntry("init", "glorot-normal");
    });
    ModelSpec champion = ModelSpec.parse(MLP + ",\"init\":\"uniform\",\"initLimit\":0.05}");
    List<DriftSpec.ForkChallenger> fork = spec.drift().fork("default", champion, 1);
    assertThat(fork).extracting(DriftSpec.ForkChallenger::spec)
        .containsExactly(champion.withSeed(4), champion.withSeed(5));
    assertThat(fork).allSatisfy(c -> {
      assertThat(c.hyperparameters()).isEmpty();
      assertThat(c.note()).startsWith("drift.forkSpace drew no valid spec (variant default-f1 {init=glorot-normal} "
          + "is not a valid spec: ").contains("initLimit").endsWith("): the champion's hyperparameters");
    });
  }
}
