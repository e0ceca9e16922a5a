package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's server, without Kafka: a real Javalin server over a view the test writes, asked over raw sockets
 * (a Host header of one's choosing, an event stream that is never read).
 */
class DashboardServerTest {

    private final DashboardView view = new DashboardView();
    private final Dashboard dashboard = Dashboard.serving(view, "127.0.0.1", 0, Duration.ofMillis(50));
    private final int port = dashboard.url().getPort();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        dashboard.close();
    }

    @Test
    void aRequestForAnotherHostIsRefusedAndEveryResponseHasTheSecurityHeaders() throws Exception {
        for (String path : List.of("/", "/dashboard.js", "/api/view")) {
            String refused = get(path, "evil.example:" + port);
            assertThat(refused).as(path + " for evil.example").startsWith("HTTP/1.1 421 ");
            assertThat(get(path, "evil.example")).as(path + " for evil.example without a port")
                    .startsWith("HTTP/1.1 421 ");
            assertThat(get(path, "127.0.0.1:" + (port + 1))).as("another port").startsWith("HTTP/1.1 421 ");
            for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port)) {
                String served = get(path, host);
                assertThat(served).as(path + " for " + host).startsWith("HTTP/1.1 200 ");
                assertSecurityHeaders(served);
            }
            assertSecurityHeaders(refused);
        }
    }

    @Test
    void theHostsServedAreTheAddressListenedOnAndThisMachinesNamesOnItsPortOrAnyOnEveryInterface() {
        assertThat(Dashboard.servesHost("[::1]:8090", "127.0.0.1", 8090)).isTrue();
        assertThat(Dashboard.servesHost("192.168.1.5:8090", "192.168.1.5", 8090)).isTrue();
        assertThat(Dashboard.servesHost("192.168.1.5:8090", "127.0.0.1", 8090)).isFalse();
        assertThat(Dashboard.servesHost("[fe80::1]:8090", "fe80::1", 8090)).isTrue();
        assertThat(Dashboard.servesHost("localhost.evil.example:8090", "127.0.0.1", 8090)).isFalse();
        assertThat(Dashboard.servesHost(null, "127.0.0.1", 8090)).isFalse();
        assertThat(Dashboard.servesHost("dashboard.example:8090", "0.0.0.0", 8090)).as("every interface").isTrue();
        assertThat(Dashboard.servesHost("dashboard.example:8090", "::", 8090)).as("every interface").isTrue();
    }

    @Test
    void pagesPastTheBoundAreRefusedAndAClosedPageMakesRoom() throws Exception {
        List<Socket> open = new ArrayList<>();
        for (int page = 0; page < Dashboard.MAX_PAGES; page++) {
            Socket s = events();
            assertThat(status(head(s))).as("page " + (page + 1)).isEqualTo(200);
            open.add(s);
        }
        Socket refused = events();
        assertThat(status(head(refused))).as("one page past the bound").isEqualTo(503);

        open.get(0).close();
        // The server learns a page is gone when a write to it fails: the next views find out.
        int admitted = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline && admitted != 200) {
            view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 42", 1));
            Thread.sleep(100);
            admitted = status(head(events()));
        }
        assertThat(admitted).as("a page once one closed").isEqualTo(200);
    }

    /**
     * A page whose socket is never read, its views large enough to fill the socket's buffers, beside one that reads:
     * the reader gets each new view. Where one push wrote to every page in turn this passed too, only slower: Jetty's
     * idle timeout (30 s) ends the stuck write, and the reader's wait is a minute; {@link DashboardTest} holds a page
     * stuck for good.
     */
    @Test
    void aPageThatNeverReadsHoldsUpNoOtherPage() throws Exception {
        for (int field = 0; field < DashboardView.MAX_DEAD_LETTER_FIELDS; field++) {
            for (int reason = 0; reason < DashboardView.MAX_REASONS; reason++) {
                view.deadLetter(DashboardViewTest.letter("f" + field, reason + "r".repeat(300), 1));
            }
        }
        long letters = (long) DashboardView.MAX_DEAD_LETTER_FIELDS * DashboardView.MAX_REASONS;
        Socket stuck = new Socket();
        stuck.setReceiveBufferSize(1024);
        sockets.add(stuck);
        stuck.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        request(stuck, "/api/events", "127.0.0.1:" + port, "text/event-stream");
        Socket reader = events();
        InputStream in = new BufferedInputStream(reader.getInputStream());
        int views = view.toJson().length() > 300_000 ? 60 : 0;
        assertThat(views).as("views of over 300 kB, 60 of them: more than loopback sockets buffer").isPositive();
        for (int change = 1; change <= views; change++) {
            view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 42", change));
            long total = letters + change;
            assertThat(awaitTotal(in, total)).as("the reader's view after change " + change).isEqualTo(total);
        }
    }

    /**
     * Reads events until one with {@code total} dead letters, or the stream ends, or a minute passes; the last total.
     */
    private static long awaitTotal(InputStream in, long total) throws IOException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String marker = "\"deadLetters\":{\"total\":";
        StringBuilder line = new StringBuilder();
        long last = -1;
        int b;
        while (System.nanoTime() < deadline && (b = in.read()) >= 0) {
            if (b != '\n') {
                line.append((char) b);
                continue;
            }
            int at = line.indexOf(marker);
            if (at >= 0) {
                int from = at + marker.length();
                int to = from;
                while (Character.isDigit(line.charAt(to))) {
                    to++;
                }
                last = Long.parseLong(line.substring(from, to));
                if (last == total) {
                    return last;
                }
            }
            line.setLength(0);
        }
        return last;
    }

    private static void assertSecurityHeaders(String response) {
        assertThat(response).contains("X-Content-Type-Options: nosniff")
                .contains("Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; "
                        + "img-src 'self' data:; frame-ancestors 'none'");
    }

    /** The response's status line and headers, and its body when the server ends it. */
    private String get(String path, String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) Duration.ofMinutes(1).toMillis());
            request(s, path, host, "*/*");
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private Socket events() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout((int) Duration.ofMinutes(1).toMillis());
        sockets.add(s);
        request(s, "/api/events", "127.0.0.1:" + port, "text/event-stream");
        return s;
    }

    /**
     * HTTP/1.0: a body the server ends by closing, not chunked, so that an event's lines can be read as sent (the
     * server answers HTTP/1.1 all the same).
     */
    private static void request(Socket s, String path, String host, String accept) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nAccept: " + accept
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring("HTTP/1.x ".length(), "HTTP/1.x 200".length()));
    }

    /** The status line and headers of the response on {@code s}. */
    private static String head(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
