package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.model.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VariantSpecTest {

  private static final String MLP = """
      {"algorithm":"mlp","inputDim":784,"numClasses":10,
       "layers":[{"units":128,"activation":"relu"}],
       "optimizer":{"type":"adam","learningRate":0.001},"l2":1e-5,"seed":3""";

  private static final String SEARCH = """
      ,"search":{"method":"successive-halving","variants":8,"budgetExamples":60000,"seed":7,
        "space":{"optimizer.learningRate":{"logUniform":[1e-4,1e-1]},"layers[0].units":[64,128,256],
                 "l2":[0,1e-5,1e-4],"layers[0].dropout":{"uniform":[0.0,0.5]}}}""";

  private static VariantSpec parse(String keys) {
    return VariantSpec.parse(MLP + keys + "}", 16);
  }

  @Test
  void aPlainSpecIsItsModelSpec() {
    VariantSpec spec = parse("");
    assertThat(spec.model()).isEqualTo(ModelSpec.parse(MLP + "}"));
    assertThat(spec.search()).isEmpty();
    assertThat(spec.variants()).isEmpty();
    assertThat(spec.drift()).isEqualTo(DriftSpec.NO_DRIFT);
    assertThat(spec.warmStart()).isEmpty();
    assertThat(spec.revive()).isFalse();
    assertThat(spec.toJson()).isEqualTo(ModelSpec.parse(MLP + "}").toJson());
  }

  @Test
  void managementKeysAreReadBesideTheModelSpec() {
    VariantSpec spec = parse(SEARCH + """
        ,"drift":{"detector":"page-hinkley","lambda":40,"reaction":"fork","forkVariants":3},
        "warmStart":{"from":"variant:champion","optimizer":"reset"},"revive":true""");
    SearchSpec search = spec.search().orElseThrow();
    assertThat(search.method()).isEqualTo(SearchSpec.SUCCESSIVE_HALVING);
    assertThat(search.variants()).isEqualTo(8);
    assertThat(search.budgetExamples()).isEqualTo(60000);
    assertThat(search.seed()).isEqualTo(7);
    assertThat(search.space().paths())
        .containsExactly("l2", "layers[0].dropout", "layers[0].units", "optimizer.learningRate");
    DriftSpec drift = spec.drift();
    assertThat(drift.detector()).isEqualTo(DriftSpec.PAGE_HINKLEY);
    assertThat(drift.lambda()).isEqualTo(40);
    assertThat(drift.delta()).isEqualTo(PageHinkley.DEFAULT_DELTA);
    assertThat(drift.minInstances()).isEqualTo(PageHinkley.DEFAULT_MIN_INSTANCES);
    assertThat(drift.reaction()).isEqualTo(DriftSpec.FORK);
    assertThat(drift.forkVariants()).isEqualTo(3);
    assertThat(drift.forkPatienceExamples()).isEqualTo(DriftSpec.DEFAULT_FORK_PATIENCE_EXAMPLES).isEqualTo(20_000);
    WarmStart warm = spec.warmStart().orElseThrow();
    assertThat(warm.fromVariant()).isEqualTo("champion");
    assertThat(warm.fromFile()).isNull();
    assertThat(warm.carryOptimizer()).isFalse();
    assertThat(spec.revive()).isTrue();
    assertThat(spec.model()).isEqualTo(ModelSpec.parse(MLP + "}"));
  }

  @Test
  void theSameVariantWhateverItsReviveKeyOrderWrittenDefaultsOrWarmStart() {
    VariantSpec plain = parse(",\"drift\":{\"detector\":\"adwin\"}");
    assertThat(parse(",\"drift\":{\"detector\":\"adwin\"},\"revive\":true").sameVariantAs(plain)).isTrue();
    assertThat(VariantSpec.parse(plain.toJson(), 16).sameVariantAs(plain)).as("canonical JSON, defaults written")
        .isTrue();
    assertThat(parse(",\"drift\":{\"detector\":\"page-hinkley\"}").sameVariantAs(plain)).isFalse();
    assertThat(parse("").sameVariantAs(plain)).as("no drift").isFalse();
    assertThat(VariantSpec.parse(MLP.replace("0.001", "0.002") + ",\"drift\":{\"detector\":\"adwin\"}}", 16)
        .sameVariantAs(plain)).as("another model").isFalse();
    assertThat(parse(SEARCH).sameVariantAs(parse(""))).as("a search").isFalse();
    VariantSpec warm = parse(",\"drift\":{\"detector\":\"adwin\"},\"warmStart\":{\"from\":\"file:/m.chorus\"}");
    assertThat(warm.sameVariantAs(plain)).as("a warm start says how a variant starts, not which").isTrue();
    assertThat(plain.sameVariantAs(warm)).isTrue();
    assertThat(parse(",\"drift\":{\"detector\":\"adwin\"},\"warmStart\":{\"from\":\"variant:x\"}")
        .sameVariantAs(warm)).isTrue();
  }

  /** A reset's mark is read and written back, and is no other variant: a reset restarts the variant it names. */
  @Test
  void aResetIsMarkedAndStillTheSameVariant() {
    VariantSpec plain = parse(",\"drift\":{\"detector\":\"adwin\",\"reaction\":\"reset\"}");
    VariantSpec reset = parse(",\"drift\":{\"detector\":\"adwin\",\"reaction\":\"reset\"},\"revive\":true,"
        + "\"reset\":true");
    assertThat(reset.reset()).isTrue();
    assertThat(reset.revive()).isTrue();
    assertThat(plain.reset()).isFalse();
    assertThat(reset.sameVariantAs(plain)).isTrue();
    assertThat(reset).isNotEqualTo(parse(",\"drift\":{\"detector\":\"adwin\",\"reaction\":\"reset\"},"
        + "\"revive\":true"));
    assertThat(reset.toJson()).endsWith(",\"revive\":true,\"reset\":true}");
    assertThat(VariantSpec.parse(reset.toJson(), 16)).isEqualTo(reset);
    assertThatIllegalArgumentException().isThrownBy(() -> parse(SEARCH + ",\"revive\":true,\"reset\":true"))
        .withMessage("VariantSpec key 'reset': expected no search beside \"reset\":true (a reset restarts one live "
            + "variant), got a search");
  }

  @Test
  void toJsonRoundTrips() {
    VariantSpec spec = parse(SEARCH + """
        ,"drift":{"detector":"adwin","delta":0.01,"reaction":"reset"},
        "warmStart":{"from":"file:/models/fashion.chorus"},"revive":true""");
    String json = spec.toJson();
    VariantSpec again = VariantSpec.parse(json, 16);
    assertThat(again).isEqualTo(spec);
    assertThat(again.toJson()).isEqualTo(json);
    assertThat(again.variants()).isEqualTo(spec.variants());
    assertThat(json).contains("\"maxBuckets\":5", "\"optimizer\":\"carry\"");
  }

  @Test
  void drawsTheVariantsReproduciblyWithReadableNames() {
    List<DrawnVariant> variants = parse(SEARCH).variants();
    assertThat(variants).extracting(DrawnVariant::name)
        .containsExactly("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7");
    assertThat(parse(SEARCH).variants()).isEqualTo(variants);
    for (DrawnVariant v : variants) {
      ModelSpec spec = v.spec();
      assertThat(spec.optimizer().learningRate()).isBetween(1e-4, 1e-1);
      assertThat(spec.layers().get(0).units()).isIn(64, 128, 256);
      assertThat(spec.l2()).isIn(0.0, 1e-5, 1e-4);
      assertThat(spec.layers().get(0).dropout()).isBetween(0.0, 0.5);
      // What the spec does not search stays the base's.
      assertThat(spec.inputDim()).isEqualTo(784);
      assertThat(spec.seed()).isEqualTo(3);
      assertThat(v.hyperparameters()).containsOnlyKeys("l2", "layers[0].dropout", "layers[0].units",
          "optimizer.learningRate");
      assertThat(v.hyperparameters().get("layers[0].units")).isEqualTo((long) spec.layers().get(0).units());
      assertThat(v.hyperparameters().get("optimizer.learningRate")).isEqualTo(spec.optimizer().learningRate());
    }
    // Eight points of a continuous space are all different.
    assertThat(variants.stream().map(DrawnVariant::hyperparameters).distinct()).hasSize(8);
  }

  /** The draw is pinned, so that another JVM or a refactor that changes it fails here (StrictMath, SplitMix64). */
  @Test
  void theDrawIsPinnedForItsSeed() {
    List<DrawnVariant> variants = parse(SEARCH).variants();
    assertThat(variants.get(0).hyperparameters().toString()).isEqualTo(PINNED_S0);
    assertThat(variants.get(7).hyperparameters().toString()).isEqualTo(PINNED_S7);
    String otherSeed = SEARCH.replace("\"seed\":7", "\"seed\":8");
    assertThat(parse(otherSeed).variants()).isNotEqualTo(variants);
  }

  private static final String PINNED_S0 = "{l2=1.0E-5, layers[0].dropout=0.008394147264078056, "
      + "layers[0].units=256, optimizer.learningRate=0.005607778859705034}";
  private static final String PINNED_S7 = "{l2=1.0E-4, layers[0].dropout=0.20751570840221967, "
      + "layers[0].units=256, optimizer.learningRate=1.4545236931009711E-4}";

  @Test
  void theSearchSeedDefaultsToTheSpecsSeed() {
    String noSeed = SEARCH.replace("\"seed\":7,", "");
    assertThat(parse(noSeed).search().orElseThrow().seed()).isEqualTo(3);
  }

  @Test
  void aChoiceOfSmallGridIsDrawnWithoutRepeatsWhileItLasts() {
    VariantSpec spec = parse("""
        ,"search":{"method":"random","variants":3,"budgetExamples":300,"space":{"l2":[0,1e-5,1e-4]}}""");
    assertThat(spec.variants()).extracting(v -> v.hyperparameters().get("l2")).containsExactlyInAnyOrder(0.0, 1e-5, 1e-4);
  }

  @Test
  void theBatchSizeIsSearchableAndEachVariantTrainsWithTheSizeDrawn() {
    VariantSpec spec = parse("""
        ,"search":{"method":"random","variants":4,"budgetExamples":300,"space":{"batchSize":[16,32,64,128]}}""");
    assertThat(spec.variants()).extracting(v -> v.spec().batchSize()).containsExactlyInAnyOrder(16, 32, 64, 128);
    for (DrawnVariant v : spec.variants()) {
      assertThat(v.hyperparameters().get("batchSize")).isEqualTo((long) v.spec().batchSize());
    }
    assertThatIllegalArgumentException().isThrownBy(() -> parse("""
        ,"search":{"method":"random","variants":2,"budgetExamples":300,"space":{"batchSize":[16,0.5]}}"""))
        .withMessageContaining("batchSize").withMessageContaining("an integer");
  }

  @Test
  void anOptimizerKeySearchesOnlyWhereTheOptimizerHasIt() {
    String momentum = MLP.replace("{\"type\":\"adam\",\"learningRate\":0.001}",
        "{\"type\":\"momentum\",\"learningRate\":0.01,\"momentum\":0.9}");
    VariantSpec spec = VariantSpec.parse(momentum + """
        ,"search":{"method":"random","variants":4,"budgetExamples":1000,
          "space":{"optimizer.momentum":{"uniform":[0.0,0.95]}}}}""", 16);
    assertThat(spec.variants()).allSatisfy(v -> assertThat((double) v.hyperparameters().get("optimizer.momentum"))
        .isBetween(0.0, 0.95));
    assertThatIllegalArgumentException().isThrownBy(() -> parse("""
        ,"search":{"method":"random","variants":4,"budgetExamples":1000,
          "space":{"momentum":{"uniform":[0.0,0.95]}}}"""))
        .withMessage("VariantSpec key 'search.space.momentum': expected a path to a value of the spec like "
            + "'optimizer.learningRate' or 'layers[0].units', got 'momentum' (the spec has no key 'momentum')");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'space':{}|VariantSpec key 'search.space': expected at least one path to search, got {}",
      "'space':{'l2':[]}|VariantSpec key 'search.space.l2': expected a non-empty list of values or "
          + "{\"uniform\":[lo,hi]} or {\"logUniform\":[lo,hi]}, got []",
      "'space':{'l2':['a']}|VariantSpec key 'search.space.l2[0]': expected a number like the spec's 1.0E-5, got \"a\"",
      "'space':{'layers[0].units':[64.5]}|VariantSpec key 'search.space.layers[0].units[0]': expected an integer like "
          + "the spec's 128, got 64.5",
      "'space':{'layers[3].units':[64]}|VariantSpec key 'search.space.layers[3].units': expected a path to a value "
          + "of the spec like 'optimizer.learningRate' or 'layers[0].units', got 'layers[3].units' "
          + "(the spec has no key 'layers[3]')",
      "'space':{'layers..units':[64]}|VariantSpec key 'search.space.layers..units': expected a path to a value of "
          + "the spec like 'optimizer.learningRate' or 'layers[0].units', got 'layers..units' (not a path)",
      "'space':{'l2':{'logUniform':[0,1]}}|VariantSpec key 'search.space.l2.logUniform': expected [lo, hi] with "
          + "0 < lo < hi, got [0,1]",
      "'space':{'l2':{'logUniform':[0.1,0.01]}}|VariantSpec key 'search.space.l2.logUniform': expected [lo, hi] with "
          + "0 < lo < hi, got [0.1,0.01]",
      "'space':{'l2':{'uniform':[1]}}|VariantSpec key 'search.space.l2.uniform': expected [lo, hi] with "
          + "lo < hi, got [1]",
      "'space':{'l2':{'normal':[0,1]}}|VariantSpec key 'search.space.l2': expected a non-empty list of values or "
          + "{\"uniform\":[lo,hi]} or {\"logUniform\":[lo,hi]}, got {\"normal\":[0,1]}",
      "'space':{'algorithm':{'uniform':[0,1]}}|VariantSpec key 'search.space.algorithm': expected a list of "
          + "values for the spec's non-numeric \"mlp\", got {\"uniform\":[0,1]}",
      "'space':{'layers':[[{'units':64}],[{'units':64},{'units':32}]],'layers[0].units':[16,32]}|VariantSpec key "
          + "'search.space.layers[0].units': expected a path outside every other path searched, got "
          + "'layers[0].units', inside 'layers'",
      "'space':{'optimizer':[{'type':'sgd','learningRate':0.1}],'optimizer.learningRate':[0.01]}|VariantSpec key "
          + "'search.space.optimizer.learningRate': expected a path outside every other path searched, got "
          + "'optimizer.learningRate', inside 'optimizer'",
      "'space':{'l2':[-1]}|VariantSpec key 'search.space': variant s0 {l2=-1.0} is not a valid spec: "
          + "ModelSpec key 'l2': expected a finite number >= 0, got -1.0",
  })
  void refusesABadSpaceNamingTheKey(String space, String message) {
    String json = ",'search':{'method':'random','variants':1,'budgetExamples':10," + space + "}";
    assertThatIllegalArgumentException().isThrownBy(() -> parse(json.replace('\'', '"'))).withMessage(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'search':{'method':'grid','variants':2,'budgetExamples':10,'space':{'l2':[0]}}|VariantSpec key "
          + "'search.method': expected one of [\"successive-halving\", \"random\"], got \"grid\"",
      "'search':{'method':'random','variants':0,'budgetExamples':10,'space':{'l2':[0]}}|VariantSpec key "
          + "'search.variants': expected an integer from 1 to maxVariantsPerTask 16, got 0",
      "'search':{'method':'random','variants':17,'budgetExamples':100,'space':{'l2':[0]}}|VariantSpec key "
          + "'search.variants': expected an integer from 1 to maxVariantsPerTask 16, got 17",
      "'search':{'method':'successive-halving','variants':8,'budgetExamples':6,'space':{'l2':[0]}}|VariantSpec key "
          + "'search.budgetExamples': expected at least 7 (3 rungs of 1, 2, 4 examples at the least) for 8 variants, "
          + "got 6",
      "'search':{'method':'random','variants':2,'budgetExamples':10,'space':{'l2':[0]},'rungs':3}|VariantSpec: "
          + "unknown key 'search.rungs'; expected one of [method, variants, budgetExamples, seed, space]",
      "'drift':{'detector':'cusum'}|VariantSpec key 'drift.detector': expected one of "
          + "[\"none\", \"page-hinkley\", \"adwin\"], got \"cusum\"",
      "'drift':{'detector':'adwin','reaction':'retrain'}|VariantSpec key 'drift.reaction': expected one of "
          + "[\"none\", \"reset\", \"fork\", \"rewarm\"], got \"retrain\"",
      "'drift':{'detector':'adwin','lambda':3}|VariantSpec: unknown key 'drift.lambda'; expected one of "
          + "[detector, delta, maxBuckets, reaction, forkVariants, forkPatienceExamples, forkSpace]",
      "'drift':{'detector':'adwin','delta':1.5}|VariantSpec key 'drift.delta': expected a number in (0, 1), got 1.5",
      "'drift':{'detector':'page-hinkley','alpha':0}|VariantSpec key 'drift.alpha': expected a number in (0, 1], got 0.0",
      "'drift':{'detector':'none','reaction':'reset'}|VariantSpec key 'drift.reaction': expected \"none\" with "
          + "detector \"none\", got \"reset\"",
      "'drift':{'detector':'adwin','reaction':'fork','forkVariants':17}|VariantSpec key 'drift.forkVariants': "
          + "expected an integer from 1 to maxVariantsPerTask 16, got 17",
      "'drift':{'detector':'adwin','reaction':'reset','forkVariants':2}|VariantSpec key 'drift.forkVariants': "
          + "expected no forkVariants unless reaction is \"fork\", got 2",
      "'drift':{'detector':'adwin','reaction':'fork','forkPatienceExamples':0}|VariantSpec key "
          + "'drift.forkPatienceExamples': expected an integer >= 1, got 0",
      "'drift':{'detector':'adwin','reaction':'fork','forkPatienceExamples':1.5}|VariantSpec key "
          + "'drift.forkPatienceExamples': expected a 64-bit integer, got 1.5",
      "'drift':{'detector':'adwin','reaction':'reset','forkPatienceExamples':500}|VariantSpec key "
          + "'drift.forkPatienceExamples': expected no forkPatienceExamples unless reaction is \"fork\", got 500",
      "'drift':{'detector':'adwin','reaction':'reset','forkSpace':{'l2':[0,1e-4]}}|VariantSpec key "
          + "'drift.forkSpace': expected no forkSpace unless reaction is \"fork\", got {\"l2\":[0,1.0E-4]}",
      "'drift':{'detector':'adwin','reaction':'fork','forkSpace':{}}|VariantSpec key 'drift.forkSpace': expected at "
          + "least one path to search, got {}",
      "'drift':{'detector':'adwin','reaction':'fork','forkSpace':{'momentum':[0.9]}}|VariantSpec key "
          + "'drift.forkSpace.momentum': expected a path to a value of the spec like 'optimizer.learningRate' or "
          + "'layers[0].units', got 'momentum' (the spec has no key 'momentum')",
      "'drift':{'detector':'adwin','reaction':'rewarm','forkVariants':2}|VariantSpec key 'drift.forkVariants': "
          + "expected no forkVariants unless reaction is \"fork\", got 2",
      "'drift':{'detector':'page-hinkley','reaction':'rewarm','forkPatienceExamples':500}|VariantSpec key "
          + "'drift.forkPatienceExamples': expected no forkPatienceExamples unless reaction is \"fork\", got 500",
      "'warmStart':{'from':'champion'}|VariantSpec key 'warmStart.from': expected \"variant:NAME\" or \"file:PATH\", "
          + "got \"champion\"",
      "'warmStart':{'from':'variant:'}|VariantSpec key 'warmStart.from': expected \"variant:NAME\" or \"file:PATH\", "
          + "got \"variant:\"",
      "'warmStart':{'from':'file:/m','optimizer':'keep'}|VariantSpec key 'warmStart.optimizer': expected one of "
          + "[\"carry\", \"reset\"], got \"keep\"",
      "'revive':'yes'|VariantSpec key 'revive': expected true or false, got \"yes\"",
      "'status':'live'|VariantSpec: unknown key 'status'; expected one of [algorithm, inputDim, numClasses, layers, "
          + "loss, init, initLimit, batchSize, optimizer, schedule, clipNorm, l1, l2, standardize, seed, averaging, "
          + "featureRange, targetRange, labelModel, hashing, embeddings, wideOptimizer, output, skipGram, tokensField, "
          + "search, drift, warmStart, revive, reset]",
      "'reset':true|VariantSpec key 'reset': expected \"revive\":true beside \"reset\":true (a reset restarts the "
          + "live variant in place), got no \"revive\":true",
      "'revive':true,'reset':1|VariantSpec key 'reset': expected true or false, got 1",
  })
  void refusesBadManagementKeysNamingTheKey(String keys, String message) {
    assertThatIllegalArgumentException().isThrownBy(() -> parse(("," + keys).replace('\'', '"')))
        .withMessage(message);
  }

  /**
   * A fork draws from its space at each drift event, long after the spec is read, so every value at a dimension's
   * edges must make a valid spec: a range that crosses into invalid values is refused at once, naming the value.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'l2':{'uniform':[-1e-4,1e-4]}|'drift.forkSpace.l2': expected values that each make a valid spec, got -1.0E-4, "
          + "which makes ModelSpec key 'l2'",
      "'layers[0].units':[64,0]|'drift.forkSpace.layers[0].units': expected values that each make a valid spec, got "
          + "0, which makes ModelSpec key 'layers[0].units'",
      "'optimizer.learningRate':{'uniform':[1e-4,1.9]},'l2':{'uniform':[-1,0]}|'drift.forkSpace.l2': expected values "
          + "that each make a valid spec, got -1.0, which makes ModelSpec key 'l2'",
  })
  void aForkSpaceWhoseEdgesMakeAnInvalidSpecIsRefused(String space, String message) {
    String keys = ",'drift':{'detector':'adwin','reaction':'fork','forkSpace':{" + space + "}}";
    assertThatIllegalArgumentException().isThrownBy(() -> parse(keys.replace('\'', '"')))
        .withMessageStartingWith("VariantSpec key " + message);
  }

  /**
   * A search's variants carry its drift, and the job reads each one's spec again wherever it holds it: a fork space
   * that fits the base but not a drawn variant (turning batch norm off fits a layer without it, not one with its
   * momentum set) is refused when the spec is read, naming the variant.
   */
  @Test
  void aForkSpaceMustFitEveryVariantOfTheSearchItRidesWith() {
    String keys = """
        ,"search":{"method":"random","variants":2,"budgetExamples":10,"space":{"layers[0].batchNorm":[false,true]}},
        "drift":{"detector":"adwin","reaction":"fork","forkSpace":{"layers[0].batchNorm":[false]}}""";
    assertThatIllegalArgumentException().isThrownBy(() -> parse(keys))
        .withMessageStartingWith("VariantSpec key 'drift.forkSpace.layers[0].batchNorm': expected values that each "
            + "make a valid spec, got false, which makes ModelSpec key 'layers[0].batchNormMomentum'")
        .withMessageEndingWith(" (around search variant s1 at {layers[0].batchNorm=true}, whose drift it is too)");
    assertThat(parse(keys.replace("[false,true]", "[false]")).drift().forkSpace()).isNotNull();
  }

  @Test
  void aForkSpaceIsReadAgainstTheModelAndRoundTrips() {
    VariantSpec spec = parse("""
        ,"drift":{"detector":"page-hinkley","reaction":"fork","forkVariants":3,
          "forkSpace":{"optimizer.learningRate":{"logUniform":[1e-4,1e-2]},"layers[0].units":[64,256]}}""");
    SearchSpace space = spec.drift().forkSpace();
    assertThat(space.paths()).containsExactly("layers[0].units", "optimizer.learningRate");
    assertThat(space.dimensions().get("optimizer.learningRate")).isEqualTo(new SearchSpace.LogUniform(1e-4, 1e-2));
    VariantSpec again = VariantSpec.parse(spec.toJson(), 16);
    assertThat(again).isEqualTo(spec);
    assertThat(again.toJson()).isEqualTo(spec.toJson()).contains("\"forkSpace\":{\"layers[0].units\":[64,256],");
    assertThat(parse(",\"drift\":{\"detector\":\"adwin\",\"reaction\":\"fork\"}").drift().forkSpace())
        .as("the champion's hyperparameters").isNull();
  }

  @Test
  void rewarmIsADriftReactionOfADenseLearner() {
    VariantSpec spec = parse(",\"drift\":{\"detector\":\"page-hinkley\",\"reaction\":\"rewarm\"}");
    assertThat(spec.drift().reaction()).isEqualTo(DriftSpec.REWARM);
    assertThat(spec.drift().forkVariants()).isZero();
    assertThat(spec.drift().forkPatienceExamples()).isZero();
    assertThat(VariantSpec.parse(spec.toJson(), 16)).isEqualTo(spec);
    assertThat(spec.toJson()).contains("\"reaction\":\"rewarm\"").doesNotContain("fork");
  }

  /** Besides a dense learner, a hashed linear, a wide and deep and a large-softmax model restart from their weights. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{'algorithm':'logistic-regression','hashing':{'bits':10,'fields':['user']},"
          + "'optimizer':{'type':'adagrad','learningRate':0.1},'standardize':false",
      "{'algorithm':'wide-deep','numClasses':2,'hashing':{'bits':10},'embeddings':{'dim':4,'buckets':64,"
          + "'fields':['user']},'layers':[{'units':8}],'standardize':false",
      "{'algorithm':'large-softmax','numClasses':50,'hashing':{'bits':8,'fields':['key']},"
          + "'output':{'type':'sampled-softmax','samples':6,'dim':4},'optimizer':{'type':'sgd','learningRate':0.3},"
          + "'standardize':false",
  })
  void rewarmIsADriftReactionOfAHashedWideAndDeepOrLargeSoftmaxModel(String model) {
    String json = (model + ",'drift':{'detector':'adwin','reaction':'rewarm'}}").replace('\'', '"');
    assertThat(VariantSpec.parse(json, 16).drift().reaction()).isEqualTo(DriftSpec.REWARM);
  }

  /** A rewarm keeps a model's weights and restarts its optimizer: a label model and a skip-gram are refused. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{'algorithm':'softmax-regression','inputDim':4,'numClasses':3,'labelModel':{'method':'dawid-skene'}"
          + "|labelModel",
      "{'algorithm':'skip-gram','skipGram':{'buckets':1024,'dim':8}|skipGram",
  })
  void rewarmIsRefusedForAKindThatCannotRestartFromItsOwnWeights(String model, String kind) {
    String json = (model + ",'drift':{'detector':'adwin','reaction':'rewarm'}}").replace('\'', '"');
    assertThatIllegalArgumentException().isThrownBy(() -> VariantSpec.parse(json, 16))
        .withMessageStartingWith("VariantSpec key 'drift.reaction': expected \"none\", \"reset\" or \"fork\" for "
            + "a model with " + kind + " (a rewarm restarts a dense learner, a hashed linear, a wide and deep or a "
            + "large-softmax model from its own weights with its optimizer afresh: ")
        .withMessageEndingWith("), got \"rewarm\"");
  }

  @Test
  void aBadModelSpecIsRefusedAsModelSpecSays() {
    assertThatIllegalArgumentException().isThrownBy(() -> parse(",\"batchSize\":0"))
        .withMessage("ModelSpec key 'batchSize': expected an integer >= 1, got 0");
  }
}
