package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        view.failing = true;
        view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 42", 1));

        assertThatCode(dashboard::push).as("what the scheduler runs every interval: a throw would end the pushes")
                .doesNotThrowAnyException();

        view.failing = false;
        view.deadLetter(DashboardViewTest.letter("label", "label: expected 0..9, got 43", 2));
        dashboard.push();
        List<JsonNode> views = page.views();
        assertThat(views).as("the view on connecting, then the view after the failed one").hasSize(2);
        assertThat(views.get(1).get("deadLetters").get("total").asLong()).isEqualTo(2);
    }

    /** A view whose JSON fails, as a view over a record it cannot show would. */
    private static final class FailingView extends DashboardView {
        volatile boolean failing;

        @Override
        public synchronized String toJson() {
            if (failing) {
                throw new OutOfMemoryError("Java heap space");
            }
            return super.toJson();
        }
    }

    /** An open page whose event stream is kept in memory. */
    private static final class RecordingPage {
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final SseClient client;

        RecordingPage() {
            ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(int b) {
                    sent.write(b);
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
            Context context = stub(Context.class, (name, args) -> switch (name) {
                case "res" -> response;
                case "future" -> null;
                default -> throw new UnsupportedOperationException("a recording page's context has no " + name);
            });
            client = new SseClient(context);
        }

        /** The views sent, in order. */
        List<JsonNode> views() throws Exception {
            List<JsonNode> views = new ArrayList<>();
            for (String line : sent.toString(StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("data: ")) {
                    views.add(JSON.readTree(line.substring("data: ".length())));
                }
            }
            return views;
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
