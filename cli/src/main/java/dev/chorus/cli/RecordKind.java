package dev.chorus.cli;

import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import picocli.CommandLine;

/** The Chorus record types, by the names the command line uses for them. */
public enum RecordKind {
    EXAMPLE("example", Example.class, Example.getClassSchema()),
    PREDICTION("prediction", Prediction.class, Prediction.getClassSchema()),
    MODEL("model", ModelSnapshot.class, ModelSnapshot.getClassSchema()),
    ANNOTATOR("annotator", AnnotatorModel.class, AnnotatorModel.getClassSchema()),
    CONSENSUS("consensus", Consensus.class, Consensus.getClassSchema()),
    CHAMPION("champion", Champion.class, Champion.getClassSchema()),
    SPEC("spec", VariantSpecRecord.class, VariantSpecRecord.getClassSchema()),
    DEAD_LETTER("dead-letter", DeadLetter.class, DeadLetter.getClassSchema());

    /** The values {@code --type} takes, for help texts. */
    static final String NAMES = "prediction|model|annotator|consensus|champion|spec|dead-letter|example";

    private final String label;
    private final Class<? extends SpecificRecord> type;
    private final long fingerprint;

    RecordKind(String label, Class<? extends SpecificRecord> type, Schema schema) {
        this.label = label;
        this.type = type;
        this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    }

    String label() {
        return label;
    }

    Class<? extends SpecificRecord> type() {
        return type;
    }

    /** CRC-64-AVRO fingerprint of the current schema, as Avro single-object encoding writes it. */
    long fingerprint() {
        return fingerprint;
    }

    /** The kind whose current schema has {@code fingerprint}. */
    static Optional<RecordKind> ofFingerprint(long fingerprint) {
        return Arrays.stream(values()).filter(k -> k.fingerprint == fingerprint).findFirst();
    }

    /**
     * The kind a topic carries, guessed from its name ({@code chorus.predictions} → prediction); dead letters
     * first, since a dead-letter topic's name may also name what it holds ({@code examples.dead-letters}, the train
     * job's {@code chorus.specs.refusals}).
     */
    static Optional<RecordKind> ofTopic(String topic) {
        String name = topic.toLowerCase(Locale.ROOT);
        if (name.contains("dead-letter") || name.contains("deadletter") || name.contains("dead_letter")
                || name.endsWith("dlq") || name.contains("refusal")) {
            return Optional.of(DEAD_LETTER);
        }
        for (RecordKind kind : new RecordKind[] {ANNOTATOR, CONSENSUS, CHAMPION, SPEC, PREDICTION, MODEL, EXAMPLE}) {
            if (name.contains(kind.label)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /** Every kind with its fingerprint, for messages about unknown ones. */
    static String describeAll() {
        return Arrays.stream(values()).map(k -> k.type.getSimpleName() + " " + hex(k.fingerprint))
                .collect(Collectors.joining(", "));
    }

    static String hex(long fingerprint) {
        return String.format("0x%016x", fingerprint);
    }

    /** Converts {@code --type} values. */
    static final class Converter implements CommandLine.ITypeConverter<RecordKind> {
        @Override
        public RecordKind convert(String value) {
            for (RecordKind kind : values()) {
                if (kind.label.equalsIgnoreCase(value.trim())) {
                    return kind;
                }
            }
            throw new CommandLine.TypeConversionException("unknown record type '" + value + "': expected one of "
                    + NAMES.replace('|', ','));
        }
    }
}
