package dev.chorus.cli;

import java.io.IOException;
import java.io.Reader;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.AnnotatedElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The chorus configuration file: a Java properties file whose keys are long option names without the dashes
 * ({@code bootstrap-servers=broker:9092}, {@code format=json}) and whose values become those options' defaults
 * in every command that has them, through picocli's own {@link CommandLine.IDefaultValueProvider} mechanism, so
 * a flag on the command line always wins. Keys starting with {@code kafka.} are Kafka client settings
 * ({@code kafka.security.protocol=SASL_SSL}) that reach every consumer, producer and admin client the CLI and
 * the jobs create, after any {@code -X} given on the command line.
 *
 * <p>Which file: {@code --config FILE}, else {@code $CHORUS_CONFIG}, else {@code ./chorus.properties} if it
 * exists, else {@code ~/.chorus/chorus.properties} if it exists, else none. A file named explicitly must exist.
 * The file is read on first use, after the command line is parsed, so {@code --config} may stand anywhere.
 *
 * <p>An option marked {@link FlagOnly} takes no default from the file, though its key may set another command's.
 */
final class ChorusConfig implements CommandLine.IDefaultValueProvider {

    /**
     * Marks an option whose value comes from the command line or its built-in default only: one that names what a
     * command changes or reads ({@code models reset --variant}) must not come from a line kept for another command
     * ({@code variant=champion}, serve's), which would make it act on another key without a word.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    @interface FlagOnly {}

    static final String ENVIRONMENT_VARIABLE = "CHORUS_CONFIG";
    static final String FILE_NAME = "chorus.properties";
    static final String KAFKA_PREFIX = "kafka.";
    /** The option that names the file; it cannot be set from the file itself. */
    static final String CONFIG_OPTION = "--config";

    private final Function<String, String> environment;
    private final Path workingDirectory;
    private final Path home;
    private Path explicitFile;
    private CommandLine root;
    private Map<String, String> values;
    private Path loadedFrom;

    ChorusConfig(Function<String, String> environment, Path workingDirectory, Path home) {
        this.environment = environment;
        this.workingDirectory = workingDirectory;
        this.home = home;
    }

    /** Resolves the file from this process's environment, working directory and home directory. */
    static ChorusConfig fromEnvironment() {
        return new ChorusConfig(System::getenv, Path.of(""), Path.of(System.getProperty("user.home")));
    }

    /** The command line this configuration serves; its errors are reported as usage errors of that command line. */
    void attach(CommandLine root) {
        this.root = root;
    }

    /** {@code --config FILE}: takes precedence over every other location. */
    void explicitFile(Path file) {
        if (file != null) {
            explicitFile = file;
            values = null;
        }
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !configurable(option)) {
            return null;
        }
        return values().get(key(option));
    }

    /** The file in use, if any. */
    Optional<Path> file() {
        values();
        return Optional.ofNullable(loadedFrom);
    }

    /** Every key and value of the file, in file order; empty without a file. */
    Map<String, String> values() {
        if (values == null) {
            values = load();
        }
        return values;
    }

    /** The {@code kafka.*} settings of the file, with the prefix removed. */
    Map<String, String> kafkaProperties() {
        Map<String, String> kafka = new LinkedHashMap<>();
        values().forEach((key, value) -> {
            if (key.startsWith(KAFKA_PREFIX)) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), value);
            }
        });
        return kafka;
    }

    /**
     * Fails, naming the file and the key, if a key is neither a Kafka setting nor an option of some command
     * under {@code spec}: a misspelt key would otherwise be silently ignored.
     */
    void validate(CommandSpec spec) {
        Set<String> known = optionKeys(spec);
        Set<String> flagsOnly = flagOnlyKeys(spec);
        for (String key : values().keySet()) {
            if (key.startsWith(KAFKA_PREFIX)) {
                if (key.length() == KAFKA_PREFIX.length()) {
                    throw error("key 'kafka.' names no Kafka setting: expected kafka.<setting>, e.g. "
                            + "kafka.security.protocol");
                }
            } else if (flagsOnly.contains(key) && !known.contains(key)) {
                throw error("key '" + key + "' names an option that comes from the command line alone (--" + key
                        + " names what a command reads or changes): give it as a flag");
            } else if (!known.contains(key)) {
                throw error("unknown key '" + key + "': expected the long name of an option without its dashes "
                        + "(such as bootstrap-servers) or kafka.<Kafka client setting>");
            }
        }
    }

    /** The keys the file may set: the long names of every configurable option of {@code spec} and its subcommands. */
    static Set<String> optionKeys(CommandSpec spec) {
        Set<String> keys = new TreeSet<>();
        collectKeys(spec, keys);
        return keys;
    }

    /** The long names of the options of {@code spec} and its subcommands marked {@link FlagOnly}. */
    private static Set<String> flagOnlyKeys(CommandSpec spec) {
        Set<String> keys = new TreeSet<>();
        collectKeys(spec, keys, ChorusConfig::flagOnly);
        return keys;
    }

    private static void collectKeys(CommandSpec spec, Set<String> keys) {
        collectKeys(spec, keys, ChorusConfig::configurable);
    }

    private static void collectKeys(CommandSpec spec, Set<String> keys, Predicate<OptionSpec> which) {
        for (OptionSpec option : spec.options()) {
            if (which.test(option)) {
                keys.add(key(option));
            }
        }
        spec.subcommands().values().forEach(sub -> collectKeys(sub.getCommandSpec(), keys, which));
    }

    /**
     * Single-valued, non-help options with a long name, but for those marked {@link FlagOnly}; maps such as {@code -X}
     * take {@code kafka.*} keys instead.
     */
    private static boolean configurable(OptionSpec option) {
        return !option.usageHelp() && !option.versionHelp() && !option.isMultiValue()
                && !CONFIG_OPTION.equals(option.longestName()) && longName(option) != null
                && !flagOnly(option);
    }

    private static boolean flagOnly(OptionSpec option) {
        return longName(option) != null
                && option.userObject() instanceof AnnotatedElement field && field.isAnnotationPresent(FlagOnly.class);
    }

    /** The file key of {@code option}: its declared long name without the dashes. */
    static String key(OptionSpec option) {
        return longName(option).substring(2);
    }

    private static String longName(OptionSpec option) {
        String longest = null;
        for (String name : option.names()) {
            if (name.startsWith("--") && (longest == null || name.length() > longest.length())) {
                longest = name;
            }
        }
        return longest;
    }

    private Map<String, String> load() {
        loadedFrom = null;
        Path file = explicitFile;
        String origin = "--config";
        if (file == null) {
            String fromEnvironment = environment.apply(ENVIRONMENT_VARIABLE);
            if (fromEnvironment != null && !fromEnvironment.isBlank()) {
                file = Path.of(fromEnvironment.trim());
                origin = ENVIRONMENT_VARIABLE;
            }
        }
        if (file == null) {
            for (Path candidate : new Path[] {workingDirectory.resolve(FILE_NAME),
                    home.resolve(".chorus").resolve(FILE_NAME)}) {
                if (Files.isRegularFile(candidate)) {
                    file = candidate;
                    origin = null;
                    break;
                }
            }
        }
        if (file == null) {
            return Collections.emptyMap();
        }
        if (!Files.isRegularFile(file)) {
            throw error(file, "does not exist or is not a file (named by " + origin + ")");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw error(file, "cannot be read: " + e.getMessage());
        }
        loadedFrom = file;
        // Properties keeps no order; sorted keys make messages and tests deterministic.
        Map<String, String> loaded = new LinkedHashMap<>();
        new TreeMap<>(properties).forEach((k, v) -> loaded.put(k.toString().trim(), v.toString().trim()));
        return loaded;
    }

    private ParameterException error(String problem) {
        return error(loadedFrom, problem);
    }

    private ParameterException error(Path file, String problem) {
        values = Collections.emptyMap();
        return new ParameterException(root, "config file " + file + ": " + problem);
    }
}
