package dev.chorus.cli.ui;

import dev.chorus.cli.RecordKind;
import dev.chorus.jobs.kafka.TopicReader;
import io.javalin.Javalin;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import io.javalin.util.JavalinBindException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * {@code /api/events}.
 * Read-only: every route is a GET. A topic that does not exist yet, or a Kafka that does not answer, is waited for;
 * the page says which ({@link TopicFollower}).
 */
public final class Dashboard implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    /** How often open pages are sent the view when it changed: live, without a message per record. */
    private static final Duration PUSH_INTERVAL = Duration.ofMillis(500);
    /** How long to wait before looking again for a topic that does not exist. */
    private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);

    /** Where the page is on the classpath. */
    static final String PAGE = "/dev/chorus/cli/ui/page";

    /** The topics the dashboard reads. */
    public record Topics(String models, String annotators, String consensus, String deadLetters) {}

    private final DashboardView view;
    private final List<SseClient> pages = new CopyOnWriteArrayList<>();
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
        dashboard.pusher.scheduleWithFixedDelay(dashboard::push, PUSH_INTERVAL.toMillis(), PUSH_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        return dashboard;
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
                config.routes.get("/api/view", ctx -> ctx.contentType("application/json").result(view.toJson()));
                config.routes.sse("/api/events", this::connected);
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

    /** A page opened the event stream: it gets the view now and each change after. */
    void connected(SseClient page) {
        page.keepAlive();
        page.onClose(() -> pages.remove(page));
        String json = view.toJson();
        synchronized (page) {
            page.sendEvent("view", json);
        }
        pages.add(page);
    }

    /**
     * Sends the open pages the view if it changed. Never throws: the scheduler runs no push after one that threw, so
     * whatever goes wrong is logged and the next change is pushed again.
     */
    void push() {
        try {
            long revision = view.revision();
            if (revision == pushed || pages.isEmpty()) {
                return;
            }
            // Before the JSON: a revision that cannot be written is logged once, not every interval.
            pushed = revision;
            String json = view.toJson();
            for (SseClient page : pages) {
                synchronized (page) {
                    if (page.terminated()) {
                        pages.remove(page);
                    } else {
                        page.sendEvent("view", json);
                    }
                }
            }
        } catch (Throwable e) {
            LOG.error("Dashboard could not push revision {} of the view to the open pages; it pushes the next one",
                    pushed, e);
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
