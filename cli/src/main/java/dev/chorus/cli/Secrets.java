package dev.chorus.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Keeps the values of secret Kafka settings (passwords, JAAS configurations, other secrets) out of whatever the
 * command line prints: error messages and, with {@code --verbose}, stack traces, whose messages may quote a
 * setting back (Kafka's JAAS parser does).
 */
final class Secrets {

    static final String MASK = "****";

    /** {@code password="..."} and the like inside a JAAS configuration: group 1 the option, group 2 its value. */
    private static final Pattern QUOTED_JAAS_VALUE = Pattern.compile("([A-Za-z0-9_.-]*)\\s*=\\s*\"([^\"]*)\"");
    /**
     * JAAS options that name someone rather than prove it: masking their values would mask every other
     * occurrence of that name too (a user called {@code chorus} would turn each message's {@code chorus tail:}
     * into {@code **** tail:}).
     */
    private static final Set<String> PUBLIC_JAAS_OPTIONS = Set.of("username", "principal", "servicename");
    /** A {@code KEY=VALUE} command-line argument, optionally glued to {@code -X} or {@code --kafka-property=}. */
    private static final Pattern SETTING_ARGUMENT =
            Pattern.compile("^(?:-X|--kafka-property=)?([A-Za-z0-9._-]+)=(.*)$", Pattern.DOTALL);

    /**
     * The client settings Kafka itself declares secret (type {@code PASSWORD}: {@code ssl.keystore.key},
     * {@code ssl.key.password}, {@code sasl.jaas.config}, …), which its own configuration dumps print as
     * {@code [hidden]}.
     */
    private static final Set<String> KAFKA_PASSWORD_KEYS = Stream.of(ProducerConfig.configDef(),
                    ConsumerConfig.configDef(), AdminClientConfig.configDef())
            .flatMap(def -> def.configKeys().values().stream())
            .filter(key -> key.type == ConfigDef.Type.PASSWORD)
            .map(key -> key.name)
            .collect(Collectors.toUnmodifiableSet());
    /** Secret-sounding names beyond Kafka's own list: plugins' settings (an OAuth client secret, credentials). */
    private static final Pattern SECRET_NAME =
            Pattern.compile("password|secret|credential|jaas\\.config");

    private final Set<String> values = new LinkedHashSet<>();

    /** Whether the Kafka setting {@code key} holds a secret and so must never be printed. */
    static boolean isSecret(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        return KAFKA_PASSWORD_KEYS.contains(k) || SECRET_NAME.matcher(k).find();
    }

    /** Remembers the values of the secret settings among {@code settings}. */
    Secrets addSettings(Map<String, String> settings) {
        settings.forEach(this::addSetting);
        return this;
    }

    /** Remembers the values of secret settings given as {@code KEY=VALUE} arguments (after {@code -X}). */
    Secrets addArguments(String[] args) {
        for (String arg : args) {
            Matcher m = SETTING_ARGUMENT.matcher(arg);
            if (m.matches()) {
                addSetting(m.group(1), m.group(2));
            }
        }
        return this;
    }

    private void addSetting(String key, String value) {
        if (!isSecret(key) || value == null || value.isBlank()) {
            return;
        }
        values.add(value.trim());
        // A multi-line value (an inline PEM key) may be printed with its line breaks turned into spaces or
        // re-indented: each of its lines is masked on its own too.
        value.lines().map(String::trim).filter(line -> !line.isEmpty()).forEach(values::add);
        Matcher quoted = QUOTED_JAAS_VALUE.matcher(value);
        while (quoted.find()) {
            if (!quoted.group(2).isEmpty()
                    && !PUBLIC_JAAS_OPTIONS.contains(quoted.group(1).toLowerCase(Locale.ROOT))) {
                values.add(quoted.group(2));
            }
        }
    }

    /** {@code text} with every remembered secret replaced by {@value #MASK}. */
    String redact(String text) {
        if (text == null || values.isEmpty()) {
            return text;
        }
        // Longest first, so that a whole JAAS value is masked before the passwords inside it.
        List<String> secrets = new ArrayList<>(values);
        secrets.sort(Comparator.comparingInt(String::length).reversed());
        String redacted = text;
        for (String secret : secrets) {
            redacted = redacted.replace(secret, MASK);
        }
        return redacted;
    }
}
