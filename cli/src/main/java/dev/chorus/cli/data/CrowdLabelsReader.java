package dev.chorus.cli.data;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads crowd labels, for {@code chorus fit} of a label-model spec: JSON lines, one label event each, in the order
 * they were given,
 * <pre>{@code
 * {"item":"img-17","annotator":"alice","label":3,"features":[0.0,0.5,0.25]}
 * }</pre>
 * {@code item} names the labelled item (a label model keys an item's labels by it, as the train job keys them by the
 * example's {@code id}), {@code annotator} who labelled it, {@code label} the class index they gave, and
 * {@code features} the item's features (the spec's {@code inputDim} numbers; left out for a label-only spec). An item
 * labelled by three annotators is three lines. Each line becomes the {@link Example} the examples topic would carry
 * ({@code id} the item, the given task, {@code eventTime} its position), decoded by the topic's JSON codec. Blank
 * lines are skipped; input may be gzip-compressed. Errors are {@link IOException}s of the form
 * {@code file:line: message}.
 */
public final class CrowdLabelsReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> KEYS = List.of("item", "annotator", "label", "features");

    private CrowdLabelsReader() {}

    public static List<Example> read(Path file, String task) throws IOException {
        RecordCodec<Example> codec = WireFormat.JSON.codec(Example.class);
        String source = file.toString();
        List<Example> events = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            BufferedReader lines = TextInput.buffered(TextInput.utf8Lines(in, source));
            int number = 0;
            for (String line = TextInput.readLine(lines, 1); line != null; line = lines.readLine()) {
                number++;
                if (!line.isBlank()) {
                    events.add(event(FieldsJsonReader.object(line, source, number), task, events.size(), codec,
                            source + ":" + number + ": "));
                }
            }
        }
        return events;
    }

    private static Example event(ObjectNode line, String task, long position, RecordCodec<Example> codec,
            String at) throws IOException {
        for (var names = line.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYS.contains(name)) {
                throw new IOException(at + "field '" + name + "': expected one of " + KEYS + ", got it");
            }
        }
        for (String key : KEYS) {
            JsonNode value = line.get(key);
            boolean fits = key.equals("label") ? value != null && value.isIntegralNumber()
                    : key.equals("features") ? value == null || value.isArray() : value != null && value.isTextual();
            if (!fits) {
                throw new IOException(at + "field '" + key + "': expected " + (key.equals("label") ? "a class index"
                        : key.equals("features") ? "an array of numbers" : "a string") + ", got "
                        + (value == null ? "none" : value.getNodeType().name().toLowerCase(Locale.ROOT)));
            }
        }
        ObjectNode example = JSON.createObjectNode();
        example.set("id", line.get("item"));
        example.put("task", task);
        example.set("features", line.has("features") ? line.get("features") : JSON.createArrayNode());
        example.set("label", line.get("label"));
        example.set("annotator", line.get("annotator"));
        example.put("eventTime", position);
        try {
            return codec.decode(JSON.writeValueAsBytes(example));
        } catch (RecordDecodingException e) {
            throw new IOException(at + e.getMessage(), e);
        }
    }
}
