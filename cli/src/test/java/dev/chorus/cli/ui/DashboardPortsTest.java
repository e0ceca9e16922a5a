package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the dashboard's port is taken, the message says which, in plain words, before any topic is read. */
class DashboardPortsTest {

    private static final Dashboard.Topics TOPICS =
            new Dashboard.Topics("chorus.models", "chorus.annotators", "chorus.consensus", "chorus.dead-letters");

    @Test
    void aTakenPortIsNamedInTheSingular() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> Dashboard.start("127.0.0.1:1", Map.of(), TOPICS, "127.0.0.1", port))
                    .hasMessage("cannot serve the dashboard on 127.0.0.1: port " + port + " is taken");
        }
    }

    @Test
    void aRangeOfTakenPortsIsNamedAsARange() throws IOException {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                ServerSocket b = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int[] ports = {a.getLocalPort(), b.getLocalPort()};
            assertThatThrownBy(() -> Dashboard.start("127.0.0.1:1", Map.of(), TOPICS, "127.0.0.1", ports))
                    .hasMessage("cannot serve the dashboard on 127.0.0.1: ports " + ports[0] + "," + ports[1]
                            + " are all taken");
        }
    }
}
