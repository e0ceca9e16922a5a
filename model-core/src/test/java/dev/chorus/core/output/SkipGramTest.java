package dev.chorus.core.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SkipGramTest {

  private static final int GROUPS = 12;
  private static final int SYNONYMS = 4;
  private static final int CONTEXTS = 8;

  private static final SkipGramSpec SPEC = new SkipGramSpec(1 << 12, 24, 3, 5, 1e-3, 0.05, 64);

  private static String synonym(int group, int s) {
    return "syn" + group + "_" + s;
  }

  /**
   * A corpus with planted synonym groups: a sentence of group g is words of g's own context vocabulary with one
   * of g's synonyms in the middle, so the synonyms of a group share their contexts and never one another's.
   */
  private static List<List<String>> corpus(int sentences, long seed) {
    SplitMix64 random = SplitMix64.seeded(seed);
    List<List<String>> corpus = new ArrayList<>();
    for (int n = 0; n < sentences; n++) {
      int group = (int) (random.nextDouble() * GROUPS);
      List<String> sentence = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        sentence.add(i == 3 ? synonym(group, (int) (random.nextDouble() * SYNONYMS))
            : "ctx" + group + "_" + (int) (random.nextDouble() * CONTEXTS));
      }
      corpus.add(sentence);
    }
    return corpus;
  }

  private static SkipGram trained(int sentences) {
    SkipGram model = new SkipGram(SPEC, 42);
    for (List<String> sentence : corpus(sentences, 5)) {
      model.train(sentence);
    }
    return model;
  }

  @Test
  void plantedSynonymsAreNearestNeighbours() {
    SkipGram model = trained(20_000);
    List<String> allSynonyms = new ArrayList<>();
    Set<Integer> buckets = new HashSet<>();
    for (int g = 0; g < GROUPS; g++) {
      for (int s = 0; s < SYNONYMS; s++) {
        allSynonyms.add(synonym(g, s));
        buckets.add(model.bucket(synonym(g, s)));
      }
    }
    assertThat(buckets).as("the test's synonyms share no bucket").hasSize(GROUPS * SYNONYMS);
    int hits = 0;
    for (int g = 0; g < GROUPS; g++) {
      for (int s = 0; s < SYNONYMS; s++) {
        Set<String> expected = new HashSet<>();
        for (int other = 0; other < SYNONYMS; other++) {
          if (other != s) {
            expected.add(synonym(g, other));
          }
        }
        List<String> nearest = model.nearest(synonym(g, s), SYNONYMS - 1, allSynonyms).stream()
            .map(SkipGram.Neighbour::token).toList();
        hits += (int) nearest.stream().filter(expected::contains).count();
        Set<Integer> nearestBuckets = new HashSet<>();
        model.nearest(synonym(g, s), SYNONYMS - 1 + CONTEXTS).forEach(n -> nearestBuckets.add(n.id()));
        for (String e : expected) {
          assertThat(nearestBuckets).as("%s's nearest buckets hold its synonym %s", synonym(g, s), e)
              .contains(model.bucket(e));
        }
      }
    }
    double precision = hits / (double) (GROUPS * SYNONYMS * (SYNONYMS - 1));
    System.out.printf("skip-gram synonym precision@%d %.3f%n", SYNONYMS - 1, precision);
    assertThat(precision).isGreaterThan(0.95);
  }

  @Test
  void candidatesTheStreamNeverShowedAreNotRanked() {
    SkipGram model = trained(2_000);
    List<String> candidates = new ArrayList<>();
    for (int n = 0; candidates.size() < 200; n++) {
      String unseen = "never" + n;
      if (!model.shown(unseen)) {
        candidates.add(unseen);
      }
    }
    candidates.add(synonym(0, 1));
    assertThat(model.shown(synonym(0, 1))).isTrue();
    // Without the check, 200 random start vectors outrank a trained synonym often enough: the closest of them
    // comes first here.
    assertThat(model.nearest(synonym(0, 0), 5, candidates)).extracting(SkipGram.Neighbour::token)
        .containsExactly(synonym(0, 1));
  }

  @Test
  void saveAndLoadRoundTripExactlyAndTrainingContinuesTheSame() throws IOException {
    SkipGram model = trained(500);
    byte[] saved = bytes(model);
    SkipGram loaded = SkipGram.readState(new BinaryState.Bytes(saved));
    assertThat(bytes(loaded)).isEqualTo(saved);
    for (List<String> sentence : corpus(200, 9)) {
      model.train(sentence);
      loaded.train(sentence);
    }
    assertThat(bytes(loaded)).isEqualTo(bytes(model));
    assertThat(loaded.vector("syn1_1")).containsExactly(model.vector("syn1_1"));
  }

  /**
   * {@code skip-gram-v1.bin}, frozen: spec {@code {"buckets":64,"dim":4,"window":2,"negatives":2,"subsample":0,
   * "learningRate":0.05,"maxTokens":16}}, seed 7, trained on 20 sentences {@code the cat sat on the mat w<n % 5>}.
   * Format 1 still loads to the same vectors, and the current writer, while it writes format 1, writes it byte for
   * byte.
   */
  @Test
  void formatVersion1FixtureStillLoadsTheSame() throws IOException {
    byte[] saved;
    try (InputStream in = SkipGramTest.class.getResourceAsStream("skip-gram-v1.bin")) {
      assertThat(in).as("test resource skip-gram-v1.bin").isNotNull();
      saved = in.readAllBytes();
    }
    SkipGram model = SkipGram.readState(new BinaryState.Bytes(saved));
    assertThat(model.spec()).isEqualTo(new SkipGramSpec(64, 4, 2, 2, 0, 0.05, 16));
    assertThat(model.pairs()).isEqualTo(342);
    assertThat(model.vector("cat")).containsExactly(-0.16612203f, -0.281119f, -0.31318545f, 0.22195698f);
    if (SkipGram.FORMAT_VERSION == 1) {
      assertThat(bytes(model)).isEqualTo(saved);
    }
  }

  @Test
  void refusesAnotherFormatVersionAndForgedSizes() throws IOException {
    byte[] saved = bytes(trained(10));
    byte[] otherVersion = saved.clone();
    otherVersion[3] = 9;
    assertThatThrownBy(() -> SkipGram.readState(new BinaryState.Bytes(otherVersion)))
        .hasMessageContaining("expected format version 1, got 9");
    byte[] truncated = Arrays.copyOf(saved, 200);
    assertThatThrownBy(() -> SkipGram.readState(new BinaryState.Bytes(truncated)))
        .isInstanceOf(IOException.class).hasMessageContaining("SkipGram vectors");
  }

  @Test
  void refusesASequenceLongerThanTheBound() {
    SkipGram model = new SkipGram(SPEC, 1);
    List<String> tooLong = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      tooLong.add("t" + i);
    }
    assertThatThrownBy(() -> model.train(tooLong))
        .hasMessage("key 'maxTokens': expected a token sequence of at most 64 tokens, got 65");
  }

  @Test
  void subsamplingDropsFrequentTokensMoreThanRareOnes() {
    SkipGram model = new SkipGram(new SkipGramSpec(1 << 10, 8, 2, 2, 1e-3, 0.05, 64), 3);
    SplitMix64 random = SplitMix64.seeded(1);
    for (int n = 0; n < 2_000; n++) {
      List<String> sentence = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        sentence.add(random.nextDouble() < 0.5 ? "the" : "w" + (int) (random.nextDouble() * 500));
      }
      model.train(sentence);
    }
    assertThat(model.keepProbability("the")).isLessThan(0.1);
    assertThat(model.keepProbability("w7")).isEqualTo(1.0);
  }

  /** 10 tokens of a vocabulary of 50, {@code w0} to {@code w49}. */
  private static List<String> sequence(SplitMix64 random) {
    List<String> sequence = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      sequence.add("w" + (int) (random.nextDouble() * 50));
    }
    return sequence;
  }

  /**
   * At learning rate 10 the vectors of a small vocabulary grow until a dot product overflows; each sequence that
   * would make a vector non-finite is rolled back whole, and the model goes on from where it was, bit for bit: a
   * model that never saw the rolled-back sequences is the same.
   */
  @Test
  void aLargeLearningRateNeverMakesAVectorNonFinite() throws IOException {
    SkipGramSpec spec = new SkipGramSpec(1024, 16, 5, 5, 0, 10, 1000);
    SkipGram model = new SkipGram(spec, 7);
    List<List<String>> trained = new ArrayList<>();
    SplitMix64 random = SplitMix64.seeded(9);
    int rolledBack = 0;
    for (int n = 0; n < 300; n++) {
      List<String> sequence = sequence(random);
      byte[] before = bytes(model);
      long pairs = model.pairs();
      try {
        assertThat(model.train(sequence)).isEqualTo(model.pairs() - pairs);
        trained.add(sequence);
      } catch (NonFiniteSequenceException e) {
        rolledBack++;
        assertThat(e).hasMessageStartingWith("token sequence of 10 tokens rolled back after ")
            .hasMessageEndingWith("; the model is unchanged");
        assertThat(bytes(model)).as("sequence %d rolled back", n).isEqualTo(before);
      }
      assertThat(model.firstNonFinite()).as("after sequence %d", n).isNull();
    }
    assertThat(rolledBack).isBetween(1, 299);
    SkipGram replay = SkipGram.readState(new BinaryState.Bytes(bytes(new SkipGram(spec, 7))));
    for (List<String> sequence : trained) {
      replay.train(sequence);
    }
    assertThat(bytes(replay)).isEqualTo(bytes(model));
  }

  /** A sequence rolled back after it rebuilt the noise table leaves the table as it was: the draws after it agree. */
  @Test
  void aRolledBackSequenceTakesBackItsCountsAndTheNoiseTableItRebuilt() {
    SkipGramSpec spec = new SkipGramSpec(1024, 16, 5, 5, 0, 10, 5000);
    SkipGram model = new SkipGram(spec, 3);
    SplitMix64 random = SplitMix64.seeded(4);
    int rebuiltAndRolledBack = 0;
    for (int n = 0; n < 40 && rebuiltAndRolledBack == 0; n++) {
      List<String> sequence = new ArrayList<>();
      for (int i = 0; i < 4100; i++) {
        sequence.add("w" + (int) (random.nextDouble() * 50));
      }
      byte[] before = bytes(model);
      try {
        model.train(sequence);
      } catch (NonFiniteSequenceException e) {
        rebuiltAndRolledBack++;
        assertThat(bytes(model)).isEqualTo(before);
      }
    }
    assertThat(rebuiltAndRolledBack).as("a sequence of more tokens than a rebuild's 4096, rolled back").isOne();
  }

  /** {@link SkipGram#toBytes}, which is {@link SkipGram#writeState}'s bytes: the frozen fixture pins both. */
  private static byte[] bytes(SkipGram model) {
    return model.toBytes();
  }
}
