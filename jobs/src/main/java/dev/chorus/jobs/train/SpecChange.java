package dev.chorus.jobs.train;

import java.util.Objects;

/**
 * An accepted change of the control topic, broadcast to every router and trainer: variant {@code variant} of
 * {@code task} now trains {@code spec} (JSON), or, when {@code spec} is null, is retired. A Flink POJO.
 * {@code initialModel} is the saved model a warm-started variant starts from ({@link WarmStarts}), else null: the
 * payload of its creation, not part of what the variant is, so equality leaves it out. {@code generation} is the
 * control topic's offset of the record that caused the change (null for a {@code --spec} default): a LIVE change starts
 * the variant's model, and that offset is its generation ({@link ModelGenerations}); equality leaves it out too.
 * {@code reset} says check-specs judged the change a reset in place of a variant live on the topic: an operator whose
 * broadcast state lacks that variant (restored from a savepoint taken before it read the broadcast) still tells a
 * reset. {@code evidence} is, for a retirement a search decided (a RETIRED record of source {@value #SEARCH_SOURCE}),
 * the record's reason: its rung's evidence, by which the selection tells its own decisions from other retirements
 * (null otherwise; equality leaves it out).
 *
 * <p>After each control-topic record, whatever it changed, check-specs also sends a progress marker, {@link #readUpTo}:
 * no task and the record's offset as its generation. Only the router gets them ({@link VariantRouter}, which holds a
 * fresh job's first examples until it has the control topic as it was when the job started); the trainers and the
 * selection get the changes alone.
 */
public final class SpecChange {
    /** The {@code source} of the control records a search writes. */
    public static final String SEARCH_SOURCE = "search";

    public String task;
    public String variant;
    public String spec;
    public byte[] initialModel;
    public Long generation;
    public boolean reset;
    public String evidence;

    public SpecChange() {}

    public SpecChange(String task, String variant, String spec) {
        this.task = task;
        this.variant = variant;
        this.spec = spec;
    }

    public SpecChange(String task, String variant, String spec, byte[] initialModel) {
        this(task, variant, spec);
        this.initialModel = initialModel;
    }

    /** The progress marker check-specs sends once it has judged the control-topic record at {@code offset}. */
    public static SpecChange readUpTo(long offset) {
        SpecChange marker = new SpecChange();
        marker.generation = offset;
        return marker;
    }

    /** Whether this is a progress marker ({@link #readUpTo}) rather than a change. */
    public boolean marksProgress() {
        return task == null;
    }

    public boolean retires() {
        return spec == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecChange c && Objects.equals(task, c.task) && Objects.equals(variant, c.variant)
                && Objects.equals(spec, c.spec);
    }

    @Override
    public int hashCode() {
        return Objects.hash(task, variant, spec);
    }

    @Override
    public String toString() {
        return marksProgress() ? "read up to " + generation
                : Variants.topicKey(task, variant) + (spec == null ? " retired" : " live");
    }
}
