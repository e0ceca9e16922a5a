package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dashboard and its open pages, without Kafka or a server: a view in, events out. */
class DashboardTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FailingView view = new FailingView();
    private final Dashboard dashboard = new Dashboard(view, "127.0.0.1:1", Map.of());

    @AfterEach
    void close() {
        dashboard.close();
    }

    @Test
    void aViewThatCannotBeWrittenFailsOnePushAndTheNextChangeIsStillPushed() throws Exception {
        RecordingPage page = new RecordingPage();
        dashboard.connected(page.client);
        // A page's sender keeps only the newest view not sent yet: until the first is sent, a later push replaces it.
        page.awaitViews(1);
        view.failing = true;
        view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 42", 1));

        assertThatCode(dashboard::push).as("what the scheduler runs every interval: a throw would end the pushes")
                .doesNotThrowAnyException();

        view.failing = false;
        view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 43", 2));
        dashboard.push();
        List<JsonNode> views = page.awaitViews(2);
        assertThat(views).as("the view on connecting, then the view after the failed one").hasSize(2);
        assertThat(views.get(1).get("deadLetters").get("total").asLong()).isEqualTo(2);
    }

    /**
     * A page that takes its first view and then stops reading (its writes block, as a socket's do once its buffers
     * are full) while another reads: the other still gets each new view. Pushed from a thread of its own, as the
     * scheduler does, so that a push that waits for the stuck page shows as the reader never getting the view.
     */
    @Test
    void aPageThatStopsReadingHoldsUpNoOtherPage() throws Exception {
        CountDownLatch unblock = new CountDownLatch(1);
        RecordingPage stuck = new RecordingPage(unblock);
        RecordingPage reader = new RecordingPage();
        dashboard.connected(stuck.client);
        stuck.awaitViews(1);
        dashboard.connected(reader.client);
        reader.awaitViews(1);
        ExecutorService scheduler = Executors.newSingleThreadExecutor();
        try {
            for (int letter = 1; letter <= 2; letter++) {
                view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 42", letter));
                scheduler.execute(dashboard::push);
                List<JsonNode> views = reader.awaitViews(1 + letter);
                assertThat(views).as("the reader's views, while the other page reads nothing").hasSize(1 + letter);
                assertThat(views.get(letter).get("deadLetters").get("total").asLong()).isEqualTo(letter);
            }
            assertThat(stuck.views()).as("the stuck page got its first view only").hasSize(1);
        } finally {
            unblock.countDown();
            scheduler.shutdownNow();
        }
    }

    /**
     * A page whose connection is reset before the event stream's headers are flushed: Javalin's handler throws from
     * that flush, before it hands the page to {@code connected}, which gives its slot back on close. More such pages
     * than {@link Dashboard#MAX_PAGES} must not leave the dashboard refusing every page after them.
     */
    @Test
    void aPageResetBeforeItsHeadersAreFlushedGivesItsSlotBack() {
        for (int page = 1; page <= Dashboard.MAX_PAGES + 1; page++) {
            HttpServletResponse response = stub(HttpServletResponse.class, (name, args) -> switch (name) {
                case "setStatus", "setCharacterEncoding", "setContentType", "addHeader" -> null;
                case "flushBuffer" -> sneakyThrow(new java.io.IOException("Connection reset by peer"));
                default -> throw new UnsupportedOperationException("a reset page's response has no " + name);
            });
            Map<String, Object> attributes = new java.util.HashMap<>();
            Context context = stub(Context.class, (name, args) -> switch (name) {
                case "header" -> "Accept".equals(args[0]) ? "text/event-stream" : null;
                case "res" -> response;
                case "attribute" -> args.length == 2 ? attributes.put((String) args[0], args[1])
                        : attributes.get((String) args[0]);
                default -> throw new UnsupportedOperationException("a reset page's context has no " + name);
            });
            assertThatThrownBy(() -> dashboard.events(context)).as("page %d", page)
                    .hasMessageContaining("Connection reset by peer");
            assertThat(dashboard.openPages()).as("slots held after page %d was reset", page).isZero();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> Object sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }

    /** A view whose JSON fails, as a view over a record it cannot show would. */
    private static final class FailingView extends DashboardView {
        volatile boolean failing;

        @Override
        public synchronized Rendered rendered() {
            if (failing) {
                throw new OutOfMemoryError("Java heap space");
            }
            return super.rendered();
        }
    }

    /** An open page whose event stream is kept in memory. */
    private static final class RecordingPage {
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final SseClient client;

        RecordingPage() {
            this(null);
        }

        /** A page that, once sent its first view, reads nothing more until {@code unblocked}, if not null. */
        RecordingPage(CountDownLatch unblocked) {
            ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(int b) {
                    if (unblocked != null && !views().isEmpty()) {
                        try {
                            unblocked.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted while not reading", e);
                        }
                    }
                    synchronized (sent) {
                        sent.write(b);
                    }
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException("setWriteListener");
                }
            };
            HttpServletResponse response = stub(HttpServletResponse.class, (name, args) -> switch (name) {
                case "getOutputStream" -> out;
                case "flushBuffer" -> null;
                default -> throw new UnsupportedOperationException("a recording page's response has no " + name);
            });
            Map<String, Object> attributes = new java.util.concurrent.ConcurrentHashMap<>();
            Context context = stub(Context.class, (name, args) -> switch (name) {
                case "res" -> response;
                case "future" -> null;
                case "attribute" -> args.length == 2 ? attributes.put((String) args[0], args[1])
                        : attributes.get((String) args[0]);
                default -> throw new UnsupportedOperationException("a recording page's context has no " + name);
            });
            client = new SseClient(context);
        }

        /** The views sent in whole, in order. */
        List<JsonNode> views() {
            String text;
            synchronized (sent) {
                text = sent.toString(StandardCharsets.UTF_8);
            }
            List<JsonNode> views = new ArrayList<>();
            String[] events = text.split("\n\n", -1);
            // The last is not whole yet, or "" after the blank line that ends each event.
            for (int i = 0; i < events.length - 1; i++) {
                for (String line : events[i].split("\n")) {
                    if (line.startsWith("data: ")) {
                        try {
                            views.add(JSON.readTree(line.substring("data: ".length())));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
            }
            return views;
        }

        /** The views sent, once there are {@code count} of them, or those there are after a minute. */
        List<JsonNode> awaitViews(int count) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (views().size() < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return views();
        }
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T stub(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "stub " + type.getSimpleName();
                    default -> answer.answer(method.getName(), args);
                }));
    }
}
