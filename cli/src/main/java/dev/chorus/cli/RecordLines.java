package dev.chorus.cli;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.VariantSpecRecord;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;

/**
 * Chorus records as one readable line each, for {@code chorus tail}: the fields a person looks for, in a fixed
 * order, with sizes instead of bulk (a model's parameters and an example's features are never dumped).
 */
final class RecordLines {
    private RecordLines() {}

    /** {@code record}'s line, its content safe for a terminal ({@link TerminalText#safe}). */
    static String line(SpecificRecord record) {
        return TerminalText.safe(raw(record));
    }

    private static String raw(SpecificRecord record) {
        if (record instanceof Example e) {
            return example(e);
        } else if (record instanceof Prediction p) {
            return prediction(p);
        } else if (record instanceof ModelSnapshot m) {
            return model(m);
        } else if (record instanceof AnnotatorModel a) {
            return annotator(a);
        } else if (record instanceof Consensus c) {
            return consensus(c);
        } else if (record instanceof Champion c) {
            return champion(c);
        } else if (record instanceof VariantSpecRecord v) {
            return spec(v);
        } else if (record instanceof DeadLetter d) {
            return deadLetter(d);
        }
        throw new IllegalArgumentException("not a Chorus record: " + record.getClass().getName());
    }

    /** The latest metrics of a model, sorted by name, e.g. {@code accuracy=0.8123 logLoss=0.5521}. */
    static String metrics(Map<String, Double> metrics) {
        return new TreeMap<>(metrics).entrySet().stream()
                .map(m -> m.getKey() + "=" + number(m.getValue()))
                .collect(Collectors.joining(" "));
    }

    /**
     * The metrics that describe {@code m}: a skip-gram predicts nothing, so the prequential ones its snapshot carries
     * (NaN, 0) are left out and its own measure, {@code pairs}, stays.
     */
    static Map<String, Double> measured(ModelSnapshot m) {
        if (!ModelSpec.SKIP_GRAM.equals(m.getAlgorithm())) {
            return m.getMetrics();
        }
        Map<String, Double> own = new TreeMap<>(m.getMetrics());
        own.keySet().removeIf(name -> name.startsWith("prequential") || name.equals("predictions"));
        return own;
    }

    static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    private static String example(Example e) {
        StringBuilder s = new StringBuilder("example ").append(e.getTask()).append(" id=").append(e.getId());
        if (e.getLabel() != null) {
            s.append(" label=").append(e.getLabel());
        }
        if (e.getTarget() != null) {
            s.append(" target=").append(number(e.getTarget()));
        }
        if (e.getAnnotator() != null) {
            s.append(" annotator=").append(e.getAnnotator());
        }
        s.append(" features=").append(Float32.count(e.getFeatures()))
                .append(e.getIndices() == null ? " dense" : " sparse");
        if (e.getWeight() != 1f) {
            s.append(" weight=").append(number(e.getWeight()));
        }
        return s.append(" eventTime=").append(time(e.getEventTime())).toString();
    }

    private static String prediction(Prediction p) {
        StringBuilder s = new StringBuilder("prediction ").append(p.getTask()).append('/').append(p.getVariant())
                .append(" v").append(p.getModelVersion()).append(" id=").append(p.getId());
        if (p.getPredictedClass() != null) {
            s.append(" class=").append(p.getPredictedClass());
            float[] probabilities = Float32.unpack(p.getProbabilities());
            if (p.getPredictedClass() >= 0 && p.getPredictedClass() < probabilities.length) {
                s.append(" p=").append(number(probabilities[p.getPredictedClass()]));
            }
        }
        if (p.getPredictedValue() != null) {
            s.append(" value=").append(number(p.getPredictedValue()));
        }
        if (p.getLabel() != null) {
            s.append(" label=").append(p.getLabel())
                    .append(p.getLabel().equals(p.getPredictedClass()) ? " (right)" : " (wrong)");
        }
        if (p.getTarget() != null) {
            s.append(" target=").append(number(p.getTarget()));
        }
        if (p.getAnnotator() != null) {
            s.append(" annotator=").append(p.getAnnotator());
        }
        return s.append(" eventTime=").append(time(p.getEventTime()))
                .append(" producedAt=").append(time(p.getProducedAt())).toString();
    }

    private static String model(ModelSnapshot m) {
        StringBuilder s = new StringBuilder("model ").append(m.getTask()).append('/').append(m.getVariant())
                .append(" v").append(m.getVersion()).append(' ').append(m.getAlgorithm())
                .append(" examples=").append(m.getExamplesSeen())
                .append(" parameters=").append(String.format(Locale.ROOT, "%,d", m.getParameters().remaining()))
                .append(" bytes (format ").append(m.getParametersFormat()).append(')');
        if (SnapshotChunks.isPart(m)) {
            s.append(" [").append(SnapshotChunks.describe(m)).append(']');
        }
        Map<String, Double> measured = measured(m);
        if (!measured.isEmpty()) {
            s.append(' ').append(metrics(measured));
        }
        return s.append(" createdAt=").append(time(m.getCreatedAt())).toString();
    }

    private static String annotator(AnnotatorModel a) {
        StringBuilder s = new StringBuilder("annotator ").append(a.getTask()).append('/').append(a.getAnnotator())
                .append(" v").append(a.getVersion())
                .append(" reliability=").append(number(a.getReliability()));
        if (a.getWeight() != null) {
            s.append(" weight=").append(number(a.getWeight()));
        }
        return s.append(" labels=").append(a.getLabelsSeen())
                .append(" confusion=").append(a.getNumClasses()).append('x').append(a.getNumClasses())
                .append(" updatedAt=").append(time(a.getUpdatedAt())).toString();
    }

    private static String champion(Champion c) {
        StringBuilder s = new StringBuilder("champion ").append(c.getTask()).append(": ").append(c.getVariant())
                .append(" v").append(c.getModelVersion()).append(" since=").append(time(c.getSince()));
        if (c.getPreviousVariant() != null) {
            s.append(" previous=").append(c.getPreviousVariant());
        }
        if (c.getEvidence() != null) {
            s.append(" paired=").append(c.getEvidence().getPairedExamples()).append(" meanDiff=")
                    .append(number(c.getEvidence().getMeanDifference())).append(" lower=")
                    .append(number(c.getEvidence().getLowerBound()));
        }
        s.append(" variants=").append(c.getStandings().size()).append(" updatedAt=").append(time(c.getUpdatedAt()));
        if (c.getSearches() != null) {
            c.getSearches().forEach(search -> s.append(" [search ").append(search.getSearch()).append(": ")
                    .append(searchState(search)).append(']'));
        }
        return s.toString();
    }

    /** Where a search stands and its live variants, e.g. {@code rung 1 of 2, live hp-s0 hp-s1}. */
    static String searchState(SearchStanding s) {
        return searchProgress(s) + ", live " + String.join(" ", s.getLive());
    }

    /** {@code rung 1 of 2}, {@code finished after 2 rungs}, or {@code STOPPED at rung 1 of 2 (why)}. */
    static String searchProgress(SearchStanding s) {
        if (s.getState() == SearchState.RUNNING) {
            return "rung " + s.getRung() + " of " + s.getRungs();
        }
        if (s.getState() == SearchState.FINISHED) {
            return "finished after " + s.getRungs() + " rungs";
        }
        return "STOPPED at rung " + s.getRung() + " of " + s.getRungs() + " (" + s.getStoppedReason() + ")";
    }

    private static String consensus(Consensus c) {
        StringBuilder s = new StringBuilder("consensus ").append(c.getTask()).append('/').append(c.getItem())
                .append(" v").append(c.getVersion()).append(" class=").append(c.getMostLikely());
        if (c.getMostLikely() >= 0 && c.getMostLikely() < c.getPosterior().size()) {
            s.append(" p=").append(number(c.getPosterior().get(c.getMostLikely())));
        }
        return s.append(" labels=").append(c.getLabels()).append(" updatedAt=").append(time(c.getUpdatedAt()))
                .toString();
    }

    private static String spec(VariantSpecRecord v) {
        return "spec " + v.getTask() + '/' + v.getVariant() + ' ' + v.getStatus() + " source=" + v.getSource()
                + " updatedAt=" + time(v.getUpdatedAt()) + (v.getSpec() == null ? "" : " spec=" + v.getSpec());
    }

    private static String deadLetter(DeadLetter d) {
        StringBuilder s = new StringBuilder("dead-letter from ").append(d.getTopic());
        // -1: rejected after it left its partition (DeadLetters.ofExample), e.g. waiting in the serve job for a model.
        s.append(d.getPartition() < 0 ? " (partition and offset unknown)" : "-" + d.getPartition() + "@" + d.getOffset());
        if (d.getField() != null) {
            s.append(" field=").append(d.getField());
        }
        return s.append(" reason=\"").append(d.getReason().replace('\n', ' ')).append('"')
                .append(" original=").append(d.getOriginal().remaining()).append(" bytes")
                .append(" time=").append(time(d.getTime())).toString();
    }

    /** Four significant digits: enough to read a metric or a probability at a glance. */
    private static String number(double value) {
        return String.format(Locale.ROOT, "%.4g", value).replaceFirst("(\\.\\d*?)0+$", "$1").replaceFirst("\\.$", "");
    }
}
