package dev.chorus.cli.data;

import dev.chorus.core.random.SplitMix64;
import dev.chorus.schemas.Example;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Debian's package catalogue, the {@code Packages} list apt keeps under {@code /var/lib/apt/lists} (plain, gzip or
 * LZ4 as apt stores it), as a classification task with named fields: predict a package's {@code Section} from
 *
 * <ul>
 *   <li>{@code name}: the package name split at {@code - . +} ({@code python3-numpy} → {@code python3},
 *       {@code numpy});
 *   <li>{@code description}: the words of the short description (its first line), lower-cased, split at anything
 *       that is not a letter or digit;
 *   <li>{@code depends}: the names in {@code Depends}, each alternative too, without versions or architecture
 *       qualifiers, once each;
 *   <li>{@code maintainer}: the whole {@code Maintainer} value, one categorical token.
 * </ul>
 *
 * A section's area prefix ({@code contrib/net}) is dropped. Sections with fewer than a minimum number of packages
 * are left out, and said so ({@link #droppedSections()}): too few examples to learn or test a class on. The classes
 * are the kept sections in alphabetical order. A stanza without {@code Package} or {@code Section} is an error
 * naming its line. Immutable.
 */
public final class PackageCatalogue {

  /** Where apt keeps its package lists. */
  public static final Path APT_LISTS = Path.of("/var/lib/apt/lists");
  /** Fewer packages than this and a section is dropped; bookworm main's smallest section has 15, so all 58 stay. */
  public static final int DEFAULT_MIN_SECTION_PACKAGES = 10;
  /** The named fields of every package, in hashing order. */
  public static final List<String> FIELDS = List.of("name", "description", "depends", "maintainer");
  /** The task of the catalogue's examples ({@link #examples}). */
  public static final String TASK = "packages";
  /** The share of the shuffled catalogue held out for testing, at its end. */
  public static final double HELD_OUT_FRACTION = 0.1;

  private static final Pattern NAME_PARTS = Pattern.compile("[-.+]+");
  private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
  private static final Pattern DEPENDENCIES = Pattern.compile("[,|]");

  private final List<DebianPackage> packages;
  private final List<String> sections;
  private final Map<String, Integer> droppedSections;
  private final int stanzas;

  /** One package: the fields of its stanza that the task uses. */
  public record DebianPackage(String name, String section, String description, List<String> depends,
      String maintainer) {

    /** The named fields ({@link #FIELDS}), as a producer would send them. */
    public Map<String, Object> fields() {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("name", split(NAME_PARTS, name));
      fields.put("description", split(NOT_WORD, description.toLowerCase(Locale.ROOT)));
      fields.put("depends", depends);
      fields.put("maintainer", maintainer);
      return fields;
    }
  }

  private PackageCatalogue(List<DebianPackage> packages, List<String> sections, Map<String, Integer> dropped,
      int stanzas) {
    this.packages = List.copyOf(packages);
    this.sections = List.copyOf(sections);
    this.droppedSections = Map.copyOf(dropped);
    this.stanzas = stanzas;
  }

  /** The biggest {@code *_Packages*} list in {@code dir} (the main archive's, beside security and updates). */
  public static Optional<Path> defaultFile(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    List<Path> lists = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*_Packages*")) {
      files.forEach(lists::add);
    }
    Comparator<Path> bySize = Comparator.comparingLong(file -> file.toFile().length());
    return lists.stream().filter(Files::isRegularFile).max(bySize);
  }

  /** Reads {@code file}, plain or compressed; errors name it as given. */
  public static PackageCatalogue read(Path file, int minSectionPackages) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(TextInput.utf8Lines(in, file.toString()), file.toString(), minSectionPackages);
    }
  }

  /** Reads the stanzas of {@code reader}, which the caller closes; {@code source} names it in errors. */
  public static PackageCatalogue read(Reader reader, String source, int minSectionPackages) throws IOException {
    BufferedReader lines = TextInput.buffered(reader);
    List<DebianPackage> all = new ArrayList<>();
    Map<String, String> stanza = new LinkedHashMap<>();
    int stanzaLine = 1;
    int lineNumber = 0;
    for (String line = TextInput.readLine(lines, 1); ; line = lines.readLine()) {
      lineNumber++;
      if (line == null || line.isBlank()) {
        if (!stanza.isEmpty()) {
          all.add(toPackage(stanza, source, stanzaLine));
          stanza.clear();
        }
        if (line == null) {
          break;
        }
        stanzaLine = lineNumber + 1;
      } else if (!Character.isWhitespace(line.charAt(0))) {
        // Continuation lines (long descriptions, tags) start with a space and are not used.
        int colon = line.indexOf(':');
        if (colon < 1) {
          throw TextInput.error(source, lineNumber, 1, "expected 'Field: value', got \"" + line + "\"");
        }
        stanza.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    Map<String, Integer> counts = new TreeMap<>();
    all.forEach(p -> counts.merge(p.section(), 1, Integer::sum));
    Map<String, Integer> dropped = new TreeMap<>();
    counts.forEach((section, count) -> {
      if (count < minSectionPackages) {
        dropped.put(section, count);
      }
    });
    List<String> sections = counts.keySet().stream().filter(s -> !dropped.containsKey(s)).toList();
    List<DebianPackage> kept = all.stream().filter(p -> !dropped.containsKey(p.section())).toList();
    return new PackageCatalogue(kept, sections, dropped, all.size());
  }

  private static DebianPackage toPackage(Map<String, String> stanza, String source, int line) throws IOException {
    String name = stanza.get("Package");
    if (name == null || name.isEmpty()) {
      throw TextInput.error(source, line, 1, "expected a 'Package' field in the stanza, got none (fields: "
          + stanza.keySet() + ")");
    }
    String section = stanza.get("Section");
    if (section == null || section.isEmpty()) {
      throw TextInput.error(source, line, 1, "expected a 'Section' field in package " + name + "'s stanza, got none");
    }
    LinkedHashSet<String> depends = new LinkedHashSet<>();
    for (String dependency : DEPENDENCIES.split(stanza.getOrDefault("Depends", ""))) {
      String bare = dependency.strip().split("[\\s(\\[<]", 2)[0];
      int qualifier = bare.indexOf(':');
      bare = qualifier >= 0 ? bare.substring(0, qualifier) : bare;
      if (!bare.isEmpty()) {
        depends.add(bare);
      }
    }
    return new DebianPackage(name, section.substring(section.lastIndexOf('/') + 1),
        stanza.getOrDefault("Description", ""), List.copyOf(depends), stanza.getOrDefault("Maintainer", ""));
  }

  private static List<String> split(Pattern separator, String text) {
    return Arrays.stream(separator.split(text)).filter(part -> !part.isEmpty()).toList();
  }

  /** The packages of the kept sections, in the file's order. */
  public List<DebianPackage> packages() {
    return packages;
  }

  /** The classes: the kept sections, alphabetically. */
  public List<String> sections() {
    return sections;
  }

  /** The sections left out for having too few packages, with their package counts. */
  public Map<String, Integer> droppedSections() {
    return droppedSections;
  }

  /** Every stanza read, kept or not. */
  public int stanzas() {
    return stanzas;
  }

  /** The class of {@code p}: its section's index in {@link #sections()}. */
  public int label(DebianPackage p) {
    return sections.indexOf(p.section());
  }

  /** The packages in the order {@link SplitMix64#permutation} of {@code seed} gives. */
  public List<DebianPackage> shuffled(long seed) {
    int[] order = SplitMix64.seeded(seed).permutation(packages.size());
    return Arrays.stream(order).mapToObj(packages::get).toList();
  }

  /**
   * The packages in the order of {@code seed} ({@link #shuffled}) as named-field examples of {@code task}, as
   * {@code chorus produce --package-catalogue} sends them: id {@code <task>-<package>}, the {@link DebianPackage#fields},
   * the section's index as label, event times from {@code startTime} one millisecond apart.
   */
  public List<Example> examples(long seed, String task, long startTime) {
    List<DebianPackage> order = shuffled(seed);
    List<Example> examples = new ArrayList<>(order.size());
    for (DebianPackage p : order) {
      examples.add(Example.newBuilder().setId(task + "-" + p.name()).setTask(task).setFeatures(ByteBuffer.allocate(0))
          .setFields(p.fields()).setLabel(label(p)).setEventTime(startTime + examples.size()).build());
    }
    return examples;
  }

  /** Where the held-out last {@value #HELD_OUT_FRACTION} of an order of {@code size} packages starts. */
  public static int heldOutFrom(int size) {
    return size - (int) Math.round(size * HELD_OUT_FRACTION);
  }
}
