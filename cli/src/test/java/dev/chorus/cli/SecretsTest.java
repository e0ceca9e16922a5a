package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretsTest {

    static final String PEM_KEY = """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVcB3pK2k9sFh4fUr
            xQ0xn1m8Lh3zPq7yWkTtR2cE5B2hRANCAAQm3Gk7o2U1cVbQh0k8Xg5Yf2Rr9Zs1
            -----END PRIVATE KEY-----
            """;

    /** Every client setting Kafka 4.2 types PASSWORD, and the secret-named settings of login plugins. */
    @ParameterizedTest
    @ValueSource(strings = {"ssl.keystore.key", "ssl.key.password", "ssl.keystore.password", "ssl.truststore.password",
            "sasl.jaas.config", "sasl.oauthbearer.client.credentials.client.secret",
            "sasl.oauthbearer.assertion.private.key.passphrase", "ssl.keystore.certificate.chain",
            "ssl.truststore.certificates", "listener.name.sasl_ssl.plain.sasl.jaas.config",
            "sasl.login.client.secret", "basic.auth.user.info.credentials", "SSL.KEY.PASSWORD"})
    void kafkasPasswordTypedSettingsAndSecretNamedOnesAreSecret(String key) {
        assertThat(Secrets.isSecret(key)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"security.protocol", "sasl.mechanism", "ssl.truststore.location", "ssl.keystore.type",
            "sasl.oauthbearer.token.endpoint.url", "client.id", "bootstrap.servers"})
    void otherSettingsAreNot(String key) {
        assertThat(Secrets.isSecret(key)).isFalse();
    }

    @Test
    void anInlinePemKeyIsMaskedWholeAndLineByLineHoweverItIsReprinted() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("ssl.keystore.type", "PEM");
        settings.put("ssl.keystore.key", PEM_KEY);
        Secrets secrets = new Secrets().addSettings(settings);
        String[] lines = PEM_KEY.strip().split("\n");

        assertThat(secrets.redact("ssl.keystore.key=" + PEM_KEY.strip())).isEqualTo("ssl.keystore.key=" + Secrets.MASK);
        // As one line (the command line's error messages join lines with spaces), and re-indented.
        String joined = secrets.redact("bad key: " + String.join(" ", lines) + " (more)");
        String indented = secrets.redact("    " + String.join("\n    ", lines));
        for (String line : lines) {
            assertThat(joined).doesNotContain(line);
            assertThat(indented).doesNotContain(line);
        }
        assertThat(joined).startsWith("bad key: ").endsWith(" (more)");
        assertThat(secrets.redact("ssl.keystore.type=PEM")).isEqualTo("ssl.keystore.type=PEM");
    }

    @Test
    void argumentsGiveTheirSecretsToo() {
        Secrets secrets = new Secrets().addArguments(new String[] {"-X", "ssl.keystore.key=" + PEM_KEY,
                "-Xsasl.oauthbearer.client.credentials.client.secret=oauth-s3cret", "-X", "client.id=visible"});
        String printed = secrets.redact("-X ssl.keystore.key=" + PEM_KEY
                + " -Xsasl.oauthbearer.client.credentials.client.secret=oauth-s3cret -X client.id=visible");
        assertThat(printed).doesNotContain("oauth-s3cret").doesNotContain("MIGHAgEAMBMG").contains("client.id=visible");
    }
}
