package dev.chorus.embedded;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/** Every log line while attached to the root logger, each as its logger's name, a space and the message. */
public final class CapturingAppender extends AbstractAppender {
    private record Line(Level level, String text) {}

    private final Queue<Line> events = new ConcurrentLinkedQueue<>();

    private CapturingAppender() {
        super("capturing-appender", null, null, true, Property.EMPTY_ARRAY);
    }

    public static CapturingAppender attach() {
        CapturingAppender appender = new CapturingAppender();
        appender.start();
        LoggerContext context = LoggerContext.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
        context.updateLoggers();
        return appender;
    }

    public void detach() {
        LoggerContext context = LoggerContext.getContext(false);
        LoggerConfig root = context.getConfiguration().getRootLogger();
        root.removeAppender(getName());
        context.updateLoggers();
        stop(Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
                .append(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
            StringWriter trace = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(trace));
            line.append('\n').append(trace);
        }
        events.add(new Line(event.getLevel(), line.toString()));
    }

    public String text() {
        return String.join("\n", events.stream().map(Line::text).toList());
    }

    /** The lines logged at {@code level}. */
    public List<String> at(Level level) {
        return events.stream().filter(l -> l.level() == level).map(Line::text).toList();
    }
}
