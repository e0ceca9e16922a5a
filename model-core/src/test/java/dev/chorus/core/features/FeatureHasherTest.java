package dev.chorus.core.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.spec.SpecReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FeatureHasherTest {

  /** The reference values of smhasher's author for MurmurHash3_x86_32 (as quoted with its verification tests). */
  @ParameterizedTest
  @CsvSource({
      "'', 0, 0x00000000",
      "'', 1, 0x514E28B7",
      "'', 0xffffffff, 0x81F16F39",
      "a, 0x9747b28c, 0x7FA09EA6",
      "aaaa, 0x9747b28c, 0x5A97808A",
      "abc, 0, 0xB3DD93FA",
      "'Hello, world!', 0x9747b28c, 0x24884CBA",
      "The quick brown fox jumps over the lazy dog, 0x9747b28c, 0x2FA826CD"})
  void murmurHash3MatchesTheReferenceVectors(String text, String seed, String expected) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertThat(MurmurHash3.hash32(bytes, bytes.length, (int) (long) Long.decode(seed)))
        .isEqualTo(Integer.parseUnsignedInt(expected.substring(2), 16));
  }

  /**
   * The table of docs/ARCHITECTURE.md "Feature hashing", b = 18: hashes computed independently with Guava's
   * {@code Hashing.murmur3_32_fixed(0)} over the UTF-8 bytes.
   */
  @ParameterizedTest
  @CsvSource({
      "user=u123, -222911129, 88729, -1",
      "country=FR, -1194188525, 122605, -1",
      "words=free, -1324180932, 91588, -1",
      "words=money, -1707815738, 209722, -1",
      "amount, 1235209082, 248698, 1",
      "user=u123^country=FR, 1898686749, 239901, 1",
      "é=ü, -714552922, 210522, -1"})
  void tokensHashToTheDocumentedIndexAndSign(String token, int hash, int index, int sign) {
    int h = FeatureHasher.hash(token);
    assertThat(h).isEqualTo(hash);
    assertThat(FeatureHasher.index(h, 18)).isEqualTo(index);
    assertThat(FeatureHasher.sign(h)).isEqualTo(sign);
  }

  @Test
  void theMostNegativeHashFoldsToIndexZeroAsScikitLearnDoes() {
    assertThat(FeatureHasher.index(Integer.MIN_VALUE, 18)).isZero();
    assertThat(FeatureHasher.sign(Integer.MIN_VALUE)).isEqualTo(-1);
  }

  @Test
  void hashesStringsTokensNumbersAndInteractions() {
    FeatureHasher hasher = new FeatureHasher(clicks());
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("amount", 12.5);
    fields.put("words", List.of("free", "money"));
    fields.put("country", "FR");
    fields.put("user", "u123");

    SparseVector vector = hasher.hash(fields);

    assertThat(vector.indices()).containsExactly(88729, 91588, 122605, 209722, 239901, 248698);
    assertThat(vector.values()).containsExactly(-1f, -1f, -1f, -1f, 1f, 12.5f);
  }

  @Test
  void collidingTokensAreSummed() {
    FeatureHasher hasher = new FeatureHasher(new HashingSpec(1, List.of(), List.of()));
    SparseVector vector = hasher.hash(Map.of("w", List.of("a", "b", "c", "d", "e", "f")));
    float total = 0;
    for (String t : List.of("a", "b", "c", "d", "e", "f")) {
      total += FeatureHasher.sign(FeatureHasher.hash("w=" + t));
    }
    float sum = 0;
    for (float v : vector.values()) {
      sum += v;
    }
    assertThat(vector.indices().length).isLessThanOrEqualTo(2);
    assertThat(sum).isEqualTo(total);
    long indices = List.of("a", "b", "c", "d", "e", "f").stream()
        .map(t -> FeatureHasher.index(FeatureHasher.hash("w=" + t), 1)).distinct().count();
    assertThat(hasher.collisions()).as("six distinct tokens on %d indices", indices).isEqualTo(6 - indices);
    hasher.hash(Map.of("w", List.of("a", "a", "a")));
    assertThat(hasher.collisions()).as("one token repeated is no collision").isZero();
    hasher.hash(Map.of("w", java.util.Collections.nCopies(100, "a")));
    assertThat(hasher.collisions()).as("nor a hundred times").isZero();
    hasher.hash(Map.of("w", List.of("a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e", "f")));
    assertThat(hasher.collisions()).as("six distinct tokens twice each").isEqualTo(6 - indices);
  }

  /**
   * The train job hashes every example on its trainer's thread: past the tokens' own strings and bytes, which it
   * hashes, and the vector it returns, summing them must allocate next to nothing (it boxed every index and sum
   * into a TreeMap, and every token into a HashSet: 260 bytes a token in all).
   */
  @Test
  void hashingAllocatesLittleBeyondTheTokensAndTheVector() {
    FeatureHasher hasher = new FeatureHasher(new HashingSpec(20, List.of("name", "depends", "maintainer"),
        List.of()));
    List<String> depends = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      depends.add("lib" + i);
    }
    Map<String, Object> fields = Map.of("name", "chorus", "depends", depends, "maintainer", "dev@example.org");
    int tokens = 42;
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    for (int warm = 0; warm < 20_000; warm++) {
      hasher.hash(fields);
    }
    int rounds = 2_000;
    long before = threads.getThreadAllocatedBytes(thread);
    for (int r = 0; r < rounds; r++) {
      hasher.hash(fields);
    }
    double perToken = (threads.getThreadAllocatedBytes(thread) - before) / (double) rounds / tokens;
    // Each token's string "field=value" (about 56 bytes) and its UTF-8 bytes (about 32), the token holder
    // (about 24), and the vector's two arrays (8 bytes a token): about 130 with the lists; below 200 there is no
    // room for a boxed index, sum and map entry and a set node per token (about 120 bytes).
    assertThat(perToken).as("bytes allocated per token").isLessThan(200);
  }

  /**
   * The reused buffer holds no token string after a hash, accepted or refused: it kept the largest example's strings
   * (a list of thousands of long tokens) reachable until as many tokens overwrote them, for the hasher's lifetime.
   */
  @Test
  void noTokenStringOutlivesItsHash() {
    FeatureHasher hasher = new FeatureHasher(new HashingSpec(8, List.of("a", "b", "tags"), List.of(List.of("a", "b"))));
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      tags.add("tag-" + i);
    }
    assertThat(hasher.hash(Map.of("tags", tags, "a", 2)).indices()).isNotEmpty();
    assertThat(hasher.heldTokens()).isZero();

    assertThatThrownBy(() -> hasher.hash(Map.of("a", 1e30, "b", 1e30, "tags", tags)))
        .isInstanceOf(RejectedFieldException.class).hasMessageContaining("hashed values finite in float32");
    assertThat(hasher.heldTokens()).as("after a refused example").isZero();
  }

  @Test
  void rejectsUnknownFieldsNonFiniteNumbersAndOtherValuesNamingTheField() {
    FeatureHasher hasher = new FeatureHasher(clicks());
    assertThatThrownBy(() -> hasher.hash(Map.of("browser", "firefox")))
        .isInstanceOf(RejectedFieldException.class)
        .hasMessage("field 'fields.browser': expected one of the spec's fields [user, country, words, amount], "
            + "got a field the spec does not list");
    assertThatThrownBy(() -> hasher.hash(Map.of("amount", Double.NaN)))
        .hasMessage("field 'fields.amount': expected a number finite in float32, got NaN");
    assertThatThrownBy(() -> hasher.hash(Map.of("amount", 1e300)))
        .hasMessage("field 'fields.amount': expected a number finite in float32, got 1.0E300");
    assertThatThrownBy(() -> hasher.hash(Map.of("words", List.of("ok", 3))))
        .satisfies(e -> assertThat(((RejectedFieldException) e).field()).isEqualTo("words"))
        .hasMessage("field 'fields.words': expected a list of strings, got an element 3");
  }

  @Test
  void theSpecReadsAndWritesItsJson() {
    HashingSpec spec = HashingSpec.fromJson(SpecReader.document(
        "{\"bits\":20,\"fields\":[\"user\",\"country\",\"words\",\"amount\"],\"interactions\":[[\"user\",\"country\"]]}"));
    assertThat(spec).isEqualTo(new HashingSpec(20, List.of("user", "country", "words", "amount"),
        List.of(List.of("user", "country"))));
    assertThat(spec.dimension()).isEqualTo(1 << 20);
    var json = SpecReader.newObject();
    spec.writeJson(json);
    assertThat(HashingSpec.fromJson(SpecReader.document(json.toString()))).isEqualTo(spec);
    assertThatThrownBy(() -> HashingSpec.fromJson(SpecReader.document("{\"hashing\":{\"bits\":31}}").at("hashing")))
        .hasMessage("ModelSpec key 'hashing.bits': expected an integer in [1, 30], got 31");
    assertThatThrownBy(() -> HashingSpec.fromJson(SpecReader.document(
        "{\"bits\":4,\"fields\":[\"a\"],\"interactions\":[[\"a\",\"b\"]]}")))
        .hasMessageContaining("expected fields among [a], got \"b\"");
  }

  private static HashingSpec clicks() {
    return new HashingSpec(18, List.of("user", "country", "words", "amount"), List.of(List.of("user", "country")));
  }
}
