package dev.chorus.cli.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PackageCatalogueTest {

  /** Twelve stanzas copied from bookworm main: 4 games, 3 libs, 4 python, 1 zope. */
  static Path fixture(String name) {
    try {
      return Path.of(PackageCatalogueTest.class.getResource("packages-v1/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsTheStanzasNamedFieldsAndDropsSectionsWithTooFewPackages() throws IOException {
    PackageCatalogue catalogue = PackageCatalogue.read(fixture("Packages"), 2);
    assertThat(catalogue.sections()).containsExactly("games", "libs", "python");
    assertThat(catalogue.droppedSections()).isEqualTo(Map.of("zope", 1));
    assertThat(catalogue.stanzas()).isEqualTo(12);
    assertThat(catalogue.packages()).hasSize(11);
    PackageCatalogue.DebianPackage first = catalogue.packages().get(0);
    assertThat(first.name()).isEqualTo("0ad");
    assertThat(first.section()).isEqualTo("games");
    assertThat(catalogue.label(first)).isEqualTo(0);
    assertThat(first.description()).isEqualTo("Real-time strategy game of ancient warfare");
    assertThat(first.maintainer()).isEqualTo("Debian Games Team <pkg-games-devel@lists.alioth.debian.org>");
    assertThat(first.depends()).startsWith("0ad-data", "0ad-data-common", "libboost-filesystem1.74.0", "libc6")
        .doesNotHaveDuplicates().doesNotContain("dpkg");
    Map<String, Object> fields = first.fields();
    assertThat(fields.keySet()).containsExactlyElementsOf(PackageCatalogue.FIELDS);
    assertThat(fields.get("name")).isEqualTo(List.of("0ad"));
    assertThat(fields.get("description")).isEqualTo(
        List.of("real", "time", "strategy", "game", "of", "ancient", "warfare"));
    assertThat(fields.get("maintainer")).isEqualTo(first.maintainer());

    assertThat(catalogue.packages().get(3).name()).isEqualTo("2048");
    assertThat(catalogue.packages().get(1).fields().get("name")).isEqualTo(List.of("0ad", "data"));
    PackageCatalogue.DebianPackage python = catalogue.packages().get(8);
    assertThat(python.name()).isEqualTo("python3-abydos");
    // Alternatives, version constraints and architecture qualifiers leave the bare names.
    assertThat(python.depends()).containsExactly("python3-deprecation", "python3-numpy", "python3");
    assertThat(catalogue.packages().get(2).fields().get("description"))
        .isEqualTo(List.of("real", "time", "strategy", "game", "of", "ancient", "warfare", "common", "data", "files"));
  }

  @Test
  void alternativesInDependsAreAllNamed() throws IOException {
    PackageCatalogue catalogue = PackageCatalogue.read(fixture("Packages"), 1);
    assertThat(catalogue.packages().get(2).depends()).containsExactly("fonts-dejavu-core", "ttf-dejavu-core",
        "fonts-freefont-ttf", "ttf-freefont", "fonts-texgyre", "tex-gyre");
    assertThat(catalogue.sections()).containsExactly("games", "libs", "python", "zope");
    assertThat(catalogue.droppedSections()).isEmpty();
  }

  @Test
  void readsTheLz4CompressedListAsAptStoresIt() throws IOException {
    assertThat(PackageCatalogue.read(fixture("Packages.lz4"), 2).packages())
        .isEqualTo(PackageCatalogue.read(fixture("Packages"), 2).packages());
  }

  /**
   * 300 stanzas compressed by the lz4 command with linked 64 KiB blocks, as apt's lists are, plus block and content
   * checksums; the hash is the lz4 command's decompressed output's.
   */
  @Test
  void decompressesLinkedLz4BlocksAndChecksThem() throws IOException, NoSuchAlgorithmException {
    byte[] compressed = Files.readAllBytes(fixture("Packages-300-linked.lz4"));
    byte[] text;
    try (InputStream in = TextInput.decompressIfNeeded(new ByteArrayInputStream(compressed), "linked")) {
      text = in.readAllBytes();
    }
    assertThat(text).hasSize(224_597);
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text)))
        .isEqualTo("06376c19c98d129d1883d4615e4d3af6ebb5ef4b63a4bb83028875c080533422");
    assertThat(PackageCatalogue.read(fixture("Packages-300-linked.lz4"), 1).stanzas()).isEqualTo(300);
    compressed[compressed.length / 2] ^= 0x10;
    assertThatThrownBy(() -> {
      try (InputStream in = TextInput.decompressIfNeeded(new ByteArrayInputStream(compressed), "linked")) {
        in.readAllBytes();
      }
    }).isInstanceOf(IOException.class).hasMessageStartingWith("LZ4 frame: ");
  }

  @Test
  void theSeededOrderIsAPermutationAndTheLastTenthIsHeldOut() throws IOException {
    PackageCatalogue catalogue = PackageCatalogue.read(fixture("Packages"), 1);
    List<PackageCatalogue.DebianPackage> shuffled = catalogue.shuffled(42);
    assertThat(shuffled).containsExactlyInAnyOrderElementsOf(catalogue.packages())
        .isNotEqualTo(catalogue.packages()).isEqualTo(catalogue.shuffled(42));
    assertThat(catalogue.shuffled(43)).isNotEqualTo(shuffled);
    assertThat(PackageCatalogue.heldOutFrom(12)).isEqualTo(11);
    assertThat(PackageCatalogue.heldOutFrom(63_440)).isEqualTo(57_096);
  }

  @Test
  void aStanzaWithoutPackageOrSectionIsAnErrorNamingItsLine() {
    assertThatThrownBy(() -> PackageCatalogue.read(new StringReader("Package: a\nSection: x\n\nSection: y\n"),
        "Packages", 1)).isInstanceOf(IOException.class)
        .hasMessage("Packages:4:1: expected a 'Package' field in the stanza, got none (fields: [Section])");
    assertThatThrownBy(() -> PackageCatalogue.read(new StringReader("Package: a\nDescription: b\n"), "Packages", 1))
        .isInstanceOf(IOException.class)
        .hasMessage("Packages:1:1: expected a 'Section' field in package a's stanza, got none");
  }

  /** The machine's own catalogue, when apt has one: bookworm main has 58 sections with at least 15 packages each. */
  @Test
  void readsTheMachinesCatalogueWhenPresent() throws IOException {
    Optional<Path> file = PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS);
    assumeThat(file).as("a Packages list under " + PackageCatalogue.APT_LISTS).isPresent();
    PackageCatalogue catalogue = PackageCatalogue.read(file.get(), PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES);
    assertThat(catalogue.packages().size()).isGreaterThan(1000);
    assertThat(catalogue.sections().size()).isGreaterThan(10);
    for (PackageCatalogue.DebianPackage p : catalogue.packages().subList(0, 1000)) {
      assertThat(p.name()).isNotBlank();
      assertThat(catalogue.label(p)).isBetween(0, catalogue.sections().size() - 1);
    }
  }
}
