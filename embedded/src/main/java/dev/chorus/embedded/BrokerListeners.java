package dev.chorus.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramLoginModule;
import org.apache.kafka.network.SocketServerConfigs;
import org.apache.kafka.raft.QuorumConfig;
import org.apache.kafka.server.config.KRaftConfigs;
import org.apache.kafka.server.config.ReplicationConfigs;

/**
 * The listeners of one {@link EmbeddedKafkaBroker} start attempt, all on 127.0.0.1: {@code PLAINTEXT} for clients,
 * inter-broker traffic and the broker's own admin client, {@code CONTROLLER} for the KRaft quorum (this node as
 * its single static voter) and, when asked for, {@code SASL_SSL} for clients that authenticate with SASL/PLAIN or
 * SCRAM-SHA-512 over TLS. Picks their ports and writes their broker settings.
 */
final class BrokerListeners {

    static final String HOST = "127.0.0.1";
    static final ListenerName CLIENT = ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT);
    /** The name is free to choose; Kafka's own configurations and docs use this one. */
    static final ListenerName CONTROLLER = new ListenerName("CONTROLLER");
    static final ListenerName SASL_SSL = ListenerName.forSecurityProtocol(SecurityProtocol.SASL_SSL);
    private static final String SCRAM = ScramMechanism.SCRAM_SHA_512.mechanismName();

    /**
     * The SASL_SSL listener's TLS key store (PKCS12, the key under the store's password) and its users, for both
     * PLAIN and SCRAM-SHA-512.
     */
    record SaslSsl(Path keyStore, String keyStorePassword, Map<String, String> users) {
        SaslSsl {
            users = Map.copyOf(users);
        }

        /**
         * The users' SCRAM credentials in the storage formatter's {@code --add-scram} syntax, to be written into
         * the metadata log when it is formatted.
         */
        List<String> scramArguments() {
            return new TreeMap<>(users).entrySet().stream()
                    .map(u -> SCRAM + "=[name=" + u.getKey() + ",password=" + u.getValue() + "]")
                    .collect(Collectors.toList());
        }
    }

    final int clientPort;
    final int controllerPort;
    /** -1 without a SASL_SSL listener. */
    final int saslSslPort;
    private final SaslSsl saslSsl;

    private BrokerListeners(int clientPort, int controllerPort, int saslSslPort, SaslSsl saslSsl) {
        this.clientPort = clientPort;
        this.controllerPort = controllerPort;
        this.saslSslPort = saslSslPort;
        this.saslSsl = saslSsl;
    }

    /**
     * Ports for one start attempt: {@code requestedClientPort} unless it is 0, free ones for the rest, no two the
     * same. {@code saslSsl} may be null (no SASL_SSL listener).
     */
    static BrokerListeners pick(int requestedClientPort, SaslSsl saslSsl) {
        int client = requestedClientPort == 0 ? freePort() : requestedClientPort;
        int controller = freePort(client);
        return new BrokerListeners(client, controller, saslSsl == null ? -1 : freePort(client, controller), saslSsl);
    }

    /** Adds the listener, quorum and (for SASL_SSL) security settings of node {@code nodeId} to {@code p}. */
    void putInto(Map<String, String> p, int nodeId) {
        p.put(QuorumConfig.QUORUM_VOTERS_CONFIG, nodeId + "@" + HOST + ":" + controllerPort);
        List<String> listeners = new ArrayList<>(List.of(address(CLIENT, clientPort), address(CONTROLLER, controllerPort)));
        List<String> advertised = new ArrayList<>(List.of(address(CLIENT, clientPort)));
        List<String> protocols = new ArrayList<>(List.of(CLIENT.value() + ":" + SecurityProtocol.PLAINTEXT.name,
                CONTROLLER.value() + ":" + SecurityProtocol.PLAINTEXT.name));
        if (saslSsl != null) {
            listeners.add(address(SASL_SSL, saslSslPort));
            advertised.add(address(SASL_SSL, saslSslPort));
            protocols.add(SASL_SSL.value() + ":" + SecurityProtocol.SASL_SSL.name);
            putSaslSsl(p);
        }
        p.put(SocketServerConfigs.LISTENERS_CONFIG, String.join(",", listeners));
        p.put(SocketServerConfigs.ADVERTISED_LISTENERS_CONFIG, String.join(",", advertised));
        p.put(SocketServerConfigs.LISTENER_SECURITY_PROTOCOL_MAP_CONFIG, String.join(",", protocols));
        p.put(KRaftConfigs.CONTROLLER_LISTENER_NAMES_CONFIG, CONTROLLER.value());
        p.put(ReplicationConfigs.INTER_BROKER_LISTENER_NAME_CONFIG, CLIENT.value());
    }

    /**
     * TLS with the PKCS12 key store, SASL/PLAIN with the users in the listener's JAAS configuration
     * ({@code user_<name>="<password>"}) and SCRAM-SHA-512 with the credentials of {@link SaslSsl#scramArguments}.
     */
    private void putSaslSsl(Map<String, String> p) {
        String prefix = SASL_SSL.configPrefix();
        p.put(prefix + SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        p.put(prefix + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, saslSsl.keyStore().toString());
        p.put(prefix + SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, saslSsl.keyStorePassword());
        p.put(prefix + SslConfigs.SSL_KEY_PASSWORD_CONFIG, saslSsl.keyStorePassword());
        p.put(prefix + BrokerSecurityConfigs.SASL_ENABLED_MECHANISMS_CONFIG,
                PlainSaslServer.PLAIN_MECHANISM + "," + SCRAM);
        StringBuilder plain = new StringBuilder(PlainLoginModule.class.getName()).append(" required");
        new TreeMap<>(saslSsl.users()).forEach((name, password) ->
                plain.append(" user_").append(name).append("=\"").append(password).append('"'));
        p.put(SASL_SSL.saslMechanismConfigPrefix(PlainSaslServer.PLAIN_MECHANISM) + SaslConfigs.SASL_JAAS_CONFIG,
                plain.append(';').toString());
        p.put(SASL_SSL.saslMechanismConfigPrefix(SCRAM) + SaslConfigs.SASL_JAAS_CONFIG,
                ScramLoginModule.class.getName() + " required;");
    }

    private static String address(ListenerName listener, int port) {
        return listener.value() + "://" + HOST + ":" + port;
    }

    /** Whether a failed start failed because a listener could not bind its port (worth another attempt). */
    static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    /** Fails fast (instead of after Kafka's own bind error and retries) when a fixed port is taken. */
    static void checkPortFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("Embedded Kafka broker failed to start: port " + port + " on " + HOST
                    + " is not available (" + e.getMessage() + ")", e);
        }
    }

    private static int freePort(int... avoid) {
        for (int i = 0; i < 10; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                int p = s.getLocalPort();
                boolean clash = false;
                for (int a : avoid) {
                    clash |= a == p;
                }
                if (!clash) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not find a free port on " + HOST, e);
            }
        }
        throw new IllegalStateException("Could not find a free port on " + HOST);
    }
}
