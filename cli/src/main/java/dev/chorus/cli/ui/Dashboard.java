package dev.chorus.cli.ui;

import dev.chorus.cli.RecordKind;
import dev.chorus.jobs.kafka.TopicReader;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import io.javalin.http.staticfiles.Location;
import io.javalin.util.JavalinBindException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard of {@code chorus ui} and {@code chorus demo}: one thread per Chorus topic (models, annotators,
 * consensus, dead letters) reads it from the beginning, committed records only, into a {@link DashboardView}; a
 * Javalin server serves the page (HTML and JavaScript from the classpath, ECharts from its WebJar), the view as
 * JSON at {@code /api/view}, and pushes each new view to the open pages as Server-Sent Events at
 * {@code /api/events}, each page by a sender of its own that sends only the latest view, so that a page that stops
 * reading holds up none but itself; at most {@value #MAX_PAGES} pages are open at once.
 * Read-only: every route is a GET. Against DNS rebinding, a request is served only when its Host header names the
 * address listened on (or localhost, 127.0.0.1, [::1]) and its port, unless it listens on every interface. A topic
 * that does not exist yet, or a Kafka that does not answer, is waited for;
 * the page says which ({@link TopicFollower}).
 */
public final class Dashboard implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    /** How often open pages are sent the view when it changed: live, without a message per record. */
    private static final Duration PUSH_INTERVAL = Duration.ofMillis(500);
    /** How long an open page may go without an event: a comment then finds out whether it is still there. */
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** Event streams open at once; one more is refused (503), as each has a sender of its own. */
    static final int MAX_PAGES = 16;
    /** HTTP 421 Misdirected Request: the Host header names no address this server answers for. */
    static final int MISDIRECTED = 421;
    /** The security headers of every response: no content sniffing, nothing but the page's own files, no framing. */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "X-Content-Type-Options", "nosniff",
            "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                    + "frame-ancestors 'none'");
    /** The names of this machine a browser may use for the dashboard, whatever address it listens on. */
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

    /** How long to wait before looking again for a topic that does not exist. */
    private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);

    /** Where the page is on the classpath. */
    static final String PAGE = "/dev/chorus/cli/ui/page";

    /** The topics the dashboard reads. */
    public record Topics(String models, String annotators, String consensus, String deadLetters) {}

    private final DashboardView view;
    private final List<Page> pages = new CopyOnWriteArrayList<>();
    /** The request attribute that says its page reached {@link #connected}, which owns its slot from then on. */
    private static final String CONNECTED = "chorus.ui.connected";
    /** Event streams open or being opened, for {@link #MAX_PAGES}. */
    private final AtomicInteger open = new AtomicInteger();
    private final SseHandler events = new SseHandler(this::connected);
    /** One thread per page that has an event to send; a page's sends are one after another. */
    private final ExecutorService senders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chorus-ui-send");
        t.setDaemon(true);
        return t;
    });
    private final List<Thread> readers = new ArrayList<>();
    private final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chorus-ui-push");
        t.setDaemon(true);
        return t;
    });
    private final String bootstrapServers;
    private final Map<String, String> kafkaProperties;
    private volatile boolean stopped;
    private Javalin server;
    private URI url;
    private long pushed = -1;
    private long lastEvent = System.nanoTime();

    /** Reads into {@code view}; {@link #start} starts the server and the readers. */
    Dashboard(DashboardView view, String bootstrapServers, Map<String, String> kafkaProperties) {
        this.view = view;
        this.bootstrapServers = bootstrapServers;
        Map<String, String> settings = new HashMap<>(kafkaProperties);
        // The dashboard only reads: asking for a missing topic must not create it.
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        this.kafkaProperties = Map.copyOf(settings);
    }

    /**
     * Starts reading {@code topics} and serving the page on {@code host}, on the first of {@code ports} that is free
     * (0: any free port).
     *
     * @throws IllegalStateException naming the ports when none of them is free
     */
    public static Dashboard start(String bootstrapServers, Map<String, String> kafkaProperties, Topics topics,
            String host, int... ports) {
        Dashboard dashboard = new Dashboard(new DashboardView(), bootstrapServers, kafkaProperties);
        dashboard.serve(host, ports);
        dashboard.read("models", topics.models(), RecordKind.MODEL);
        dashboard.read("annotators", topics.annotators(), RecordKind.ANNOTATOR);
        dashboard.read("consensus", topics.consensus(), RecordKind.CONSENSUS);
        dashboard.read("dead letters", topics.deadLetters(), RecordKind.DEAD_LETTER);
        dashboard.pushEvery(PUSH_INTERVAL);
        return dashboard;
    }

    /** Serves {@code view} on {@code host} and {@code port} and pushes it every {@code interval}, reading no topic. */
    static Dashboard serving(DashboardView view, String host, int port, Duration interval) {
        Dashboard dashboard = new Dashboard(view, "127.0.0.1:1", Map.of());
        dashboard.serve(host, port);
        dashboard.pushEvery(interval);
        return dashboard;
    }

    private void pushEvery(Duration interval) {
        pusher.scheduleWithFixedDelay(this::push, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The page's address. */
    public URI url() {
        return url;
    }

    private void serve(String host, int... ports) {
        for (int port : ports) {
            Javalin app = Javalin.create(config -> {
                config.startup.showJavalinBanner = false;
                config.startup.showOldJavalinVersionWarning = false;
                config.staticFiles.add(files -> {
                    files.hostedPath = "/";
                    files.directory = PAGE;
                    files.location = Location.CLASSPATH;
                });
                config.staticFiles.enableWebjars();
                config.routes.before(ctx -> guard(ctx, host));
                config.routes.get("/api/view", ctx -> ctx.contentType("application/json").result(view.toJson()));
                config.routes.get("/api/events", this::events);
            });
            try {
                server = app.start(host, port);
                url = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + "/");
                return;
            } catch (JavalinBindException taken) {
                app.stop();
            }
        }
        throw new IllegalStateException("cannot serve the dashboard on " + host + ": " + (ports.length == 1
                ? "port " + ports[0] + " is taken" : "ports " + describe(ports) + " are all taken"));
    }

    /**
     * Every request first: one whose Host header names another server is refused (421) — a page of another site whose
     * name was rebound to this machine's address must not read the dashboard — and every response gets
     * {@link #SECURITY_HEADERS}.
     */
    private static void guard(Context ctx, String host) {
        SECURITY_HEADERS.forEach(ctx::header);
        if (!servesHost(ctx.header("Host"), host, ctx.req().getLocalPort())) {
            ctx.status(MISDIRECTED).contentType("text/plain")
                    .result("This is the Chorus dashboard; open it by the address it listens on, or localhost, with "
                            + "its port " + ctx.req().getLocalPort() + ".");
            ctx.skipRemainingHandlers();
        }
    }

    /**
     * Whether a request with {@code hostHeader} is for the dashboard that listens on {@code host} and {@code port}:
     * the header names that address, or localhost, 127.0.0.1 or [::1], and that port; when the dashboard listens on
     * every interface (0.0.0.0, ::), any name, as it cannot know the names it is reached by.
     */
    static boolean servesHost(String hostHeader, String host, int port) {
        String listened = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        if (listened.equals("0.0.0.0") || listened.equals("[::]") || listened.equals("[0:0:0:0:0:0:0:0]")) {
            return true;
        }
        if (hostHeader == null) {
            return false;
        }
        String header = hostHeader.trim().toLowerCase(Locale.ROOT);
        int colon = header.lastIndexOf(':');
        if (colon < 0 || colon < header.lastIndexOf(']')) {
            return false; // no port: port 80, which a dashboard on another port does not serve; names need one
        }
        String name = header.substring(0, colon);
        return header.substring(colon + 1).equals(Integer.toString(port))
                && (LOOPBACK_NAMES.contains(name) || name.equals(listened.toLowerCase(Locale.ROOT)));
    }

    /** {@code GET /api/events}: the event stream, unless {@link #MAX_PAGES} are open (503). */
    void events(Context ctx) throws Exception {
        String accept = ctx.header("Accept");
        if (accept == null || !accept.contains("text/event-stream")) {
            ctx.status(406).contentType("text/plain")
                    .result("/api/events is an event stream: Accept text/event-stream");
            return;
        }
        if (open.incrementAndGet() > MAX_PAGES) {
            open.decrementAndGet();
            ctx.status(503).contentType("text/plain").result("The dashboard has " + MAX_PAGES
                    + " pages open already, the most it serves at once; close one, or read GET /api/view.");
            return;
        }
        try {
            events.handle(ctx);
        } catch (Exception | Error e) {
            // The handler flushes the response's headers before it hands the page to connected() (which gives the
            // slot back when the page closes): a page whose connection was reset by then fails that flush, and
            // would otherwise hold its slot until the dashboard restarts, the 17th such page closing it to all.
            if (ctx.attribute(CONNECTED) == null) {
                open.decrementAndGet();
            }
            throw e;
        }
    }

    /** Event streams open or being opened now, of at most {@link #MAX_PAGES}. */
    int openPages() {
        return open.get();
    }

    /** A page opened the event stream: its sender sends it the view now and each change after. */
    void connected(SseClient client) {
        client.ctx().attribute(CONNECTED, Boolean.TRUE);
        client.keepAlive();
        Page page = new Page(client);
        client.onClose(() -> {
            if (pages.remove(page)) {
                open.decrementAndGet();
            }
        });
        pages.add(page);
        DashboardView.Rendered now = view.rendered();
        page.offer(now.revision(), now.json());
    }

    /**
     * Hands the open pages' senders the view if it changed, or a heartbeat after {@link #HEARTBEAT} without events.
     * Never throws: the scheduler runs no push after one that threw, so whatever goes wrong is logged and the next
     * change is pushed again. Never waits for a page: each page's sender writes to it.
     */
    void push() {
        try {
            long revision = view.revision();
            if (revision == pushed || pages.isEmpty()) {
                if (System.nanoTime() - lastEvent >= HEARTBEAT.toNanos()) {
                    lastEvent = System.nanoTime();
                    pages.forEach(Page::heartbeat);
                }
                return;
            }
            // Before the JSON: a revision that cannot be written is logged once, not every interval.
            pushed = revision;
            DashboardView.Rendered now = view.rendered();
            lastEvent = System.nanoTime();
            for (Page page : pages) {
                page.offer(now.revision(), now.json());
            }
        } catch (Throwable e) {
            LOG.error("Dashboard could not push revision {} of the view to the open pages; it pushes the next one",
                    pushed, e);
        }
    }

    /**
     * An open page and its sender: what is to be sent is only the latest view handed to it (or a heartbeat when there
     * is none), sent by one task at a time on {@link #senders}, so a page that does not read blocks only its own
     * sender, until the server's idle timeout ends the write and the page is closed.
     */
    private final class Page {
        private final SseClient client;
        private long offered = -1;
        /** The view to send next, "" for a heartbeat, null for nothing. */
        private String next;
        private boolean sending;

        Page(SseClient client) {
            this.client = client;
        }

        /** The view at {@code revision} replaces any older one not sent yet; an older one is ignored. */
        synchronized void offer(long revision, String json) {
            if (revision > offered) {
                offered = revision;
                next = json;
                send();
            }
        }

        synchronized void heartbeat() {
            if (next == null) {
                next = "";
                send();
            }
        }

        private void send() {
            if (!sending) {
                sending = true;
                senders.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                String event;
                synchronized (this) {
                    event = next;
                    next = null;
                    if (event == null) {
                        sending = false;
                        return;
                    }
                }
                try {
                    if (client.terminated()) {
                        close();
                        return;
                    }
                    if (event.isEmpty()) {
                        client.sendComment("heartbeat");
                    } else {
                        client.sendEvent("view", event);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Dashboard could not send an open page the view; closing it", e);
                    close();
                    return;
                }
            }
        }

        /** Stops sending: what was offered is dropped, as the page is gone. */
        private void close() {
            synchronized (this) {
                sending = false;
                next = null;
            }
            client.close();
            if (pages.remove(this)) {
                open.decrementAndGet();
            }
        }
    }

    private void read(String role, String topic, RecordKind kind) {
        Thread reader = new Thread(() -> follow(role, topic, kind), "chorus-ui-" + role.replace(' ', '-'));
        reader.setDaemon(true);
        readers.add(reader);
        reader.start();
    }

    /**
     * Reads {@code topic} from the beginning into the view until stopped; waits for the topic if it is missing or
     * Kafka does not answer.
     */
    private void follow(String role, String topic, RecordKind kind) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrapServers, kafkaProperties), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicFollower follower = new TopicFollower(view, bootstrapServers, role, topic, kind, consumer,
                    System::currentTimeMillis);
            while (!stopped && !follower.locate()) {
                try {
                    Thread.sleep(TOPIC_RETRY.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            while (!stopped) {
                follower.poll();
            }
        } catch (KafkaException e) {
            // Access denied, a broken connection setting: the page says why this topic stopped being read.
            LOG.warn("Dashboard stopped reading {}", topic, e);
            view.unavailable(role, topic, "stopped reading: " + e.getMessage());
        }
    }

    private static String describe(int... ports) {
        StringBuilder s = new StringBuilder();
        for (int port : ports) {
            s.append(s.length() == 0 ? "" : ",").append(port);
        }
        return ports.length > 3 ? ports[0] + "-" + ports[ports.length - 1] : s.toString();
    }

    /** Stops serving and reading (each reader within one poll or look-up); open pages see the stream end. */
    @Override
    public void close() {
        stopped = true;
        pusher.shutdownNow();
        senders.shutdownNow();
        if (server != null) {
            server.stop();
        }
        for (Thread reader : readers) {
            try {
                reader.join(Duration.ofSeconds(15).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
