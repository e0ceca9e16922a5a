package dev.chorus.cli.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.schemas.codec.WireFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads JSON lines of named-field examples, one object per line, for tasks whose spec hashes them:
 * <pre>{@code
 * {"id":"c1","task":"clicks","fields":{"user":"u1","country":"FR","words":["free","money"],"amount":12.5},"label":1}
 * }</pre>
 * Each line is an {@link Example} in the examples topic's JSON form ({@code label}, {@code target}, {@code weight},
 * {@code annotator}, {@code eventTime} as there), decoded by the same codec, with what a line may leave out filled
 * in: {@code id} (the source's task, a dash and the line number), {@code task} (the given default), {@code features}
 * (none: the fields are the features) and {@code eventTime} (the start time plus the example's position, in ms).
 * {@code fields} is required. Blank lines are skipped; input may be gzip-compressed. Errors are
 * {@link IOException}s of the form {@code file:line: message}.
 */
public final class FieldsJsonReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FieldsJsonReader() {}

    public static List<Example> read(Path file, String defaultTask, long startTime) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(TextInput.utf8Lines(in, file.toString()), file.toString(), defaultTask, startTime);
        }
    }

    public static List<Example> read(Reader reader, String source, String defaultTask, long startTime)
            throws IOException {
        RecordCodec<Example> codec = WireFormat.JSON.codec(Example.class);
        BufferedReader lines = TextInput.buffered(reader);
        List<Example> examples = new ArrayList<>();
        int number = 0;
        for (String line = TextInput.readLine(lines, 1); line != null; line = lines.readLine()) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            ObjectNode example = object(line, source, number);
            if (!example.path("fields").isObject()) {
                throw new IOException(source + ":" + number + ": field 'fields': expected an object of named fields, got "
                        + (example.has("fields") ? example.get("fields").getNodeType().name().toLowerCase(Locale.ROOT) : "none"));
            }
            if (!example.has("id")) {
                example.put("id", defaultTask + "-" + number);
            }
            if (!example.has("task")) {
                example.put("task", defaultTask);
            }
            if (!example.has("features")) {
                example.putArray("features");
            }
            if (!example.has("eventTime")) {
                example.put("eventTime", startTime + examples.size());
            }
            try {
                examples.add(codec.decode(JSON.writeValueAsBytes(example)));
            } catch (RecordDecodingException e) {
                throw new IOException(source + ":" + number + ": " + e.getMessage(), e);
            }
        }
        return examples;
    }

    static ObjectNode object(String line, String source, int number) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(line.getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IOException(source + ":" + number + ": expected a JSON object, got invalid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IOException(source + ":" + number + ": expected a JSON object, got " + node.getNodeType());
        }
        return object;
    }
}
