package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins what {@link ModelSpec#parse} makes of a corpus of spec documents: the canonical {@link ModelSpec#toJson()}
 * of each valid one, byte for byte (saved models and savepoints embed it), and the message of each invalid one,
 * including which error a document with several is reported for. The corpus was recorded with the parser as it
 * stood before the spec types owned their JSON (issue 15); it holds every spec embedded in the committed fixtures
 * (model-core's saved models and jobs' savepoints train-v1 and train-v2). Lines are {@code input TAB output},
 * where an output starting with {@code "! "} is the expected message. Corpus v2 is v1 with the two messages that list
 * every key and every optimizer type grown by {@code hashing} and {@code ftrl} (issue 17), and nothing else. Corpus v4
 * is v3 with the messages that list every key and every algorithm grown by {@code embeddings}, {@code wideOptimizer}
 * and {@code wide-deep} (issue 17), then specs of the wide and deep model. Corpus v5 is v4 with the specs that
 * {@code doctor-net-v4.bin} and {@code weighted-doctor-net-paper-v4.bin} embed (label-model format 4, issue 18)
 * added at its end. Corpus v6 is v5 with the two lists grown by {@code output} and {@code large-softmax} (issue 17),
 * then specs of the large-output model. Corpus v7 is v6 with those lists grown by {@code skipGram},
 * {@code tokensField} and {@code skip-gram}, then skip-gram specs (issue 17). Corpus v8 is v7 with the list of keys
 * grown by {@code averaging}, then specs with weight averaging (session 15). Corpus v9 is v8 with that list grown by
 * {@code featureRange}, then specs with a feature range (session 27). Corpus v10 is v9 with that list grown by
 * {@code targetRange}, then specs with a target range (session 27).
 */
class ModelSpecJsonCorpusTest {

  private static final String CORPUS = "spec-json/v10/corpus.tsv";

  record Case(String input, String expected) {
    @Override
    public String toString() {
      return input;
    }
  }

  static List<Case> corpus() throws IOException {
    return corpus(CORPUS);
  }

  private static List<Case> corpus(String resource) throws IOException {
    try (InputStream in = Objects.requireNonNull(ModelSpecJsonCorpusTest.class.getResourceAsStream(resource))) {
      List<Case> cases = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        int tab = line.indexOf('\t');
        cases.add(new Case(line.substring(0, tab), line.substring(tab + 1)));
      }
      return cases;
    }
  }

  @Test
  void v2DiffersFromV1OnlyInTheListsOfKeysAndOptimizerTypes() throws IOException {
    List<Case> v1 = corpus("spec-json/v1/corpus.tsv");
    List<Case> v2 = corpus("spec-json/v2/corpus.tsv");
    assertThat(v2).hasSameSizeAs(v1);
    int changed = 0;
    for (int i = 0; i < v1.size(); i++) {
      if (!v1.get(i).equals(v2.get(i))) {
        changed++;
        assertThat(v2.get(i).input()).isEqualTo(v1.get(i).input());
        assertThat(v2.get(i).expected()).isEqualTo(v1.get(i).expected()
            .replace("\"adam\"]", "\"adam\", \"ftrl\"]").replace("labelModel]", "labelModel, hashing]"));
      }
    }
    assertThat(changed).isEqualTo(2);
  }

  /** v3 keeps every input and output of v2 but the messages that list the label-model methods or keys (issue 18). */
  @Test
  void v3DiffersFromV2OnlyInTheListedMethodsAndKeys() throws IOException {
    List<Case> v2 = corpus("spec-json/v2/corpus.tsv");
    List<Case> v3 = corpus("spec-json/v3/corpus.tsv");
    assertThat(v3).extracting(Case::input).containsExactlyElementsOf(v2.stream().map(Case::input).toList());
    int changed = 0;
    for (int i = 0; i < v2.size(); i++) {
      String was = v2.get(i).expected();
      String is = v3.get(i).expected();
      changed += was.equals(is) ? 0 : 1;
      assertThat(is).as(v2.get(i).input()).isEqualTo(was
          .replace("\"weighted-doctor-net\"]", "\"weighted-doctor-net\", \"weighted-doctor-net-paper\"]")
          .replace("protectedLabels]", "protectedLabels, halfLifeLabels]"));
    }
    assertThat(changed).isEqualTo(3);
  }

  /** v4 keeps v3 but the messages that list keys and algorithms, then adds specs that use the new keys (issue 17). */
  @Test
  void v4IsV3WithTheListedKeysAndAlgorithmsGrownThenWideAndDeepSpecs() throws IOException {
    List<Case> v3 = corpus("spec-json/v3/corpus.tsv");
    List<Case> v4 = corpus("spec-json/v4/corpus.tsv");
    int changed = 0;
    for (int i = 0; i < v3.size(); i++) {
      String was = v3.get(i).expected();
      String is = v4.get(i).expected();
      changed += was.equals(is) ? 0 : 1;
      assertThat(v4.get(i).input()).isEqualTo(v3.get(i).input());
      assertThat(is).as(v3.get(i).input()).isEqualTo(was
          .replace("linear-svm, mlp], got", "linear-svm, mlp, wide-deep], got")
          .replace("labelModel, hashing]", "labelModel, hashing, embeddings, wideOptimizer]"));
    }
    assertThat(changed).isEqualTo(2);
    List<Case> added = v4.subList(v3.size(), v4.size());
    // Beside specs with the new keys, the wide part's spec that wide-deep-v1.bin embeds (a hashed softmax regression).
    List<String> wideDeepFixture;
    try (InputStream in = ModelSpecJsonCorpusTest.class.getResourceAsStream("wide-deep-v1.bin")) {
      wideDeepFixture = specsIn(in.readAllBytes());
    }
    assertThat(added).hasSizeGreaterThanOrEqualTo(30).allSatisfy(c -> assertThat(
        wideDeepFixture.contains(c.input()) || c.input().matches(".*\"(wide-deep|embeddings|wideOptimizer)\".*"))
        .as(c.input()).isTrue());
    assertThat(added).filteredOn(c -> !c.expected().startsWith("! ")).hasSizeGreaterThanOrEqualTo(5);
  }

  /** v5 is v4 and then specs embedded in fixtures written since: the Doctor Net label models of format 4. */
  @Test
  void v5IsV4ThenTheDoctorNetFixturesSpecs() throws IOException {
    List<Case> v4 = corpus("spec-json/v4/corpus.tsv");
    List<Case> v5 = corpus("spec-json/v5/corpus.tsv");
    assertThat(v5.subList(0, v4.size())).containsExactlyElementsOf(v4);
    assertThat(v5.subList(v4.size(), v5.size())).hasSize(2).allSatisfy(c -> assertThat(c.input())
        .containsPattern("\"method\":\"(doctor-net|weighted-doctor-net-paper)\"").isEqualTo(c.expected()));
  }

  /** v6 keeps v5 but the two messages that list keys and algorithms, then adds large-softmax specs (issue 17). */
  @Test
  void v6IsV5WithTheListedKeysAndAlgorithmsGrownThenLargeOutputSpecs() throws IOException {
    List<Case> v5 = corpus("spec-json/v5/corpus.tsv");
    List<Case> v6 = corpus("spec-json/v6/corpus.tsv");
    int changed = 0;
    for (int i = 0; i < v5.size(); i++) {
      String was = v5.get(i).expected();
      String is = v6.get(i).expected();
      changed += was.equals(is) ? 0 : 1;
      assertThat(v6.get(i).input()).isEqualTo(v5.get(i).input());
      assertThat(is).as(v5.get(i).input()).isEqualTo(was
          .replace("wide-deep], got", "wide-deep, large-softmax], got")
          .replace("embeddings, wideOptimizer]", "embeddings, wideOptimizer, output]"));
    }
    assertThat(changed).isEqualTo(2);
    List<Case> added = v6.subList(v5.size(), v6.size());
    assertThat(added).hasSizeGreaterThanOrEqualTo(10)
        .allSatisfy(c -> assertThat(c.input()).containsAnyOf("\"output\"", "\"large-softmax\""));
    assertThat(added).filteredOn(c -> !c.expected().startsWith("! ")).hasSizeGreaterThanOrEqualTo(4);
  }

  /** v7 keeps v6 but the messages that list keys and algorithms, then adds skip-gram specs (issue 17). */
  @Test
  void v7IsV6WithTheListedKeysAndAlgorithmsGrownThenSkipGramSpecs() throws IOException {
    List<Case> v6 = corpus("spec-json/v6/corpus.tsv");
    List<Case> v7 = corpus("spec-json/v7/corpus.tsv");
    int changed = 0;
    for (int i = 0; i < v6.size(); i++) {
      String was = v6.get(i).expected();
      String is = v7.get(i).expected();
      changed += was.equals(is) ? 0 : 1;
      assertThat(v7.get(i).input()).isEqualTo(v6.get(i).input());
      assertThat(is).as(v6.get(i).input()).isEqualTo(was
          .replace("large-softmax], got", "large-softmax, skip-gram], got")
          .replace("wideOptimizer, output]", "wideOptimizer, output, skipGram, tokensField]"));
    }
    assertThat(changed).isEqualTo(2);
    List<Case> added = v7.subList(v6.size(), v7.size());
    assertThat(added).hasSizeGreaterThanOrEqualTo(20)
        .allSatisfy(c -> assertThat(c.input()).containsAnyOf("\"skip-gram\"", "\"skipGram\"", "\"tokensField\""));
    assertThat(added).filteredOn(c -> !c.expected().startsWith("! ")).hasSizeGreaterThanOrEqualTo(4);
  }

  /** v8 keeps v7 but the message that lists every key, then adds specs with weight averaging (session 15). */
  @Test
  void v8IsV7WithTheListedKeysGrownThenAveragingSpecs() throws IOException {
    assertKeyAddedAfter("v7", "v8", "seed", "averaging", 3);
  }

  /** v9 keeps v8 but the message that lists every key, then adds specs with a feature range (session 27). */
  @Test
  void v9IsV8WithTheListedKeysGrownThenFeatureRangeSpecs() throws IOException {
    assertKeyAddedAfter("v8", "v9", "averaging", "featureRange", 5);
  }

  /** v10 keeps v9 but the message that lists every key, then adds specs with a target range (session 27). */
  @Test
  void v10IsV9WithTheListedKeysGrownThenTargetRangeSpecs() throws IOException {
    assertKeyAddedAfter("v9", "v10", "featureRange", "targetRange", 4);
  }

  /**
   * Corpus {@code to} is {@code from} with the one message that lists every key grown by {@code key} (after
   * {@code after}), then at least 10 specs that use {@code key}, at least {@code valid} of them valid.
   */
  private static void assertKeyAddedAfter(String from, String to, String after, String key, int valid)
      throws IOException {
    List<Case> was = corpus("spec-json/" + from + "/corpus.tsv");
    List<Case> is = corpus("spec-json/" + to + "/corpus.tsv");
    int changed = 0;
    for (int i = 0; i < was.size(); i++) {
      changed += was.get(i).expected().equals(is.get(i).expected()) ? 0 : 1;
      assertThat(is.get(i).input()).isEqualTo(was.get(i).input());
      assertThat(is.get(i).expected()).as(was.get(i).input()).isEqualTo(was.get(i).expected()
          .replace(after + ", labelModel", after + ", " + key + ", labelModel"));
    }
    assertThat(changed).isEqualTo(1);
    List<Case> added = is.subList(was.size(), is.size());
    assertThat(added).hasSizeGreaterThanOrEqualTo(10).allSatisfy(c -> assertThat(c.input()).contains("\"" + key + "\""));
    assertThat(added).filteredOn(c -> !c.expected().startsWith("! ")).hasSizeGreaterThanOrEqualTo(valid);
  }

  @ParameterizedTest
  @MethodSource("corpus")
  void parseThenToJsonGivesTheRecordedOutput(Case c) {
    String actual;
    try {
      actual = ModelSpec.parse(c.input()).toJson();
    } catch (IllegalArgumentException e) {
      actual = "! " + e.getMessage();
    }
    assertThat(actual).isEqualTo(c.expected());
  }

  @Test
  void corpusCoversEverySpecInTheSavedModelFixtures() throws IOException, URISyntaxException {
    List<String> inputs = corpus().stream().map(Case::input).toList();
    Path root = Path.of(ModelSpecJsonCorpusTest.class.getResource("/dev/chorus/core").toURI());
    List<String> embedded = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".bin")).toList()) {
        embedded.addAll(specsIn(Files.readAllBytes(file)));
      }
    }
    assertThat(embedded).as("specs embedded in saved-model fixtures").hasSizeGreaterThanOrEqualTo(7);
    assertThat(inputs).containsAll(embedded);
  }

  /** Each balanced JSON object starting with {@code {"algorithm"} in {@code bytes} (specs are ASCII). */
  private static List<String> specsIn(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    List<String> specs = new ArrayList<>();
    for (int at = text.indexOf("{\"algorithm\""); at >= 0; at = text.indexOf("{\"algorithm\"", at + 1)) {
      int depth = 0;
      for (int i = at; i < text.length(); i++) {
        depth += text.charAt(i) == '{' ? 1 : text.charAt(i) == '}' ? -1 : 0;
        if (depth == 0) {
          specs.add(text.substring(at, i + 1));
          break;
        }
      }
    }
    return specs;
  }
}
