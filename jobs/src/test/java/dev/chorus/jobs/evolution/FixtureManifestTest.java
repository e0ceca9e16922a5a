package dev.chorus.jobs.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Committed test fixtures (savepoints, saved models, label models, the bad-input corpus: every file under a module's
 * {@code src/test/resources} whose path has a {@code -vN} or {@code /vN/} version) never change once committed: each
 * is pinned by SHA-256 in {@code jobs/src/test/fixtures.sha256} ({@code sha256sum -c} reads it from the repository
 * root). A changed layout gets a new version and a new fixture beside the old ones, added to the manifest.
 */
class FixtureManifestTest {

    static final String MANIFEST = "jobs/src/test/fixtures.sha256";
    static final List<String> MODULES = List.of("schemas", "model-core", "jobs");
    /** A versioned fixture: a directory {@code vN} or a name ending {@code -vN} (before an extension or a slash). */
    static final Pattern VERSIONED = Pattern.compile("(^|/)v\\d+/|-v\\d+(\\.|/|$)");

    @Test
    void everyCommittedFixtureIsInTheManifestUnchanged() throws IOException {
        Path root = repositoryRoot();
        Map<String, String> pinned = readManifest(root.resolve(MANIFEST));
        Map<String, String> found = fixtures(root);

        List<String> problems = new ArrayList<>();
        pinned.forEach((path, sha) -> {
            String actual = found.get(path);
            if (actual == null) {
                problems.add(path + ": pinned but gone; a fixture is never deleted or moved");
            } else if (!actual.equals(sha)) {
                problems.add(path + ": expected SHA-256 " + sha + ", got " + actual + "; a fixture never changes:"
                        + " restore it from git and put a new layout in a new version beside it");
            }
        });
        found.forEach((path, sha) -> {
            if (!pinned.containsKey(path)) {
                problems.add(path + ": a new fixture, not in " + MANIFEST + "; add the line \"" + sha + "  " + path
                        + "\" to pin it");
            }
        });
        assertThat(problems).as("committed fixtures against %s", MANIFEST).isEmpty();
    }

    @Test
    void theManifestPinsEveryKindOfFixture() throws IOException {
        Map<String, String> pinned = readManifest(repositoryRoot().resolve(MANIFEST));
        assertThat(pinned.keySet()).as("savepoints, saved models, label models and the bad-input corpus").anySatisfy(
                p -> assertThat(p).startsWith("jobs/src/test/resources/savepoints/train-v1/")).anySatisfy(
                p -> assertThat(p).matches("model-core/src/test/resources/.*/online-learner-v\\d+\\.bin")).anySatisfy(
                p -> assertThat(p).matches("model-core/src/test/resources/.*/dawid-skene-v\\d+\\.bin")).anySatisfy(
                p -> assertThat(p).startsWith("jobs/src/test/resources/bad-input/v1/"));
    }

    /** Versioned files under each module's test resources, by path from the root, with their SHA-256. */
    static Map<String, String> fixtures(Path root) throws IOException {
        Map<String, String> found = new TreeMap<>();
        for (String module : MODULES) {
            Path resources = root.resolve(module).resolve("src/test/resources");
            if (!Files.isDirectory(resources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(resources)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String inModule = resources.relativize(f).toString().replace('\\', '/');
                    if (VERSIONED.matcher(inModule).find()) {
                        found.put(root.relativize(f).toString().replace('\\', '/'), sha256(f));
                    }
                }
            }
        }
        return found;
    }

    /** Lines {@code <sha256>  <path>} as {@code sha256sum} writes them; {@code #} starts a comment. */
    static Map<String, String> readManifest(Path manifest) throws IOException {
        Map<String, String> pinned = new TreeMap<>();
        for (String line : Files.readAllLines(manifest)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+", 2);
            assertThat(f).as("%s line '%s': expected '<sha256>  <path>'", MANIFEST, t).hasSize(2);
            assertThat(f[0]).as("%s line '%s': SHA-256 in hex", MANIFEST, t).matches("[0-9a-f]{64}");
            pinned.put(f[1], f[0]);
        }
        return pinned;
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The directory holding {@code mvnw}: the module's working directory or one of its parents. */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("model-core"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root (a directory with mvnw and model-core) above "
                + Path.of("").toAbsolutePath());
    }
}
