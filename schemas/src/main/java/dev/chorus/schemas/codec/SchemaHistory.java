package dev.chorus.schemas.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Earlier versions of Chorus's record schemas, kept as resources under {@code dev/chorus/schemas/history}, so that
 * an upgraded reader still decodes the Avro records its topics hold from before the upgrade. A schema that gains a
 * field adds its previous version here, once, and never changes it afterwards. {@code Champion-0} (the first
 * Champion schema, whose standings' enum was named {@code StandingStatus}) and {@code VariantSpecRecord-2} (with
 * {@code initialModel}, before {@code reason}) were on main for a while before they were added here: records they
 * wrote read again.
 */
public final class SchemaHistory {

    /** Per record name, the resource names of its earlier schemas, oldest first. */
    private static final Map<String, List<String>> OLDER = Map.of(
            "AnnotatorModel", List.of("AnnotatorModel-1.avsc"),
            "Champion", List.of("Champion-0.avsc", "Champion-1.avsc", "Champion-2.avsc", "Champion-3.avsc",
                    "Champion-4.avsc"),
            "DeadLetter", List.of("DeadLetter-1.avsc"),
            "Example", List.of("Example-1.avsc"),
            "ModelSnapshot", List.of("ModelSnapshot-1.avsc", "ModelSnapshot-2.avsc"),
            "Prediction", List.of("Prediction-1.avsc"),
            "VariantSpecRecord", List.of("VariantSpecRecord-1.avsc", "VariantSpecRecord-2.avsc"));

    private SchemaHistory() {}

    /** The earlier writer schemas of {@code type}; none for a schema that never changed. */
    public static Schema[] olderWriterSchemas(Class<?> type) {
        List<String> names = OLDER.getOrDefault(type.getSimpleName(), List.of());
        Schema[] schemas = new Schema[names.size()];
        for (int i = 0; i < schemas.length; i++) {
            String resource = "/dev/chorus/schemas/history/" + names.get(i);
            try (InputStream avsc = SchemaHistory.class.getResourceAsStream(resource)) {
                if (avsc == null) {
                    throw new IllegalStateException("schema history resource " + resource + " is missing");
                }
                schemas[i] = new Schema.Parser().parse(avsc);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
        return schemas;
    }
}
