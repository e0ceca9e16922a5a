package dev.chorus.jobs.train;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.metrics.SlidingAccuracy;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.BaseBroadcastProcessFunction;

/**
 * Warm starts of the control topic: a LIVE record whose spec has {@code warmStart} carries the saved model its
 * variant starts from ({@code initialModel}: a {@code chorus fit} file, or the forked variant's latest snapshot,
 * which {@code chorus specs put} reads). {@link SpecControl} checks the pair ({@link #check}); the router and the
 * trainer keep the bytes of each live warm-started variant in broadcast state ({@link #DESCRIPTOR}), as they keep
 * its spec, and the trainer builds the variant's state from them once, when it creates it ({@link #state}): a
 * restored variant has its state, so a restore never applies them again.
 */
public final class WarmStarts {
    /** Variant key ({@link Variants#key}) → the saved model a live warm-started variant starts from. */
    public static final MapStateDescriptor<String, byte[]> DESCRIPTOR = new MapStateDescriptor<>(
            "variant-initial-models", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    /**
     * The largest control record: the specs topic's {@code max.message.bytes} ({@link KafkaIO#MAX_RECORD_BYTES}),
     * as a record carries a warm start's whole model, which is never split into chunks.
     */
    public static final int MAX_RECORD_BYTES = KafkaIO.MAX_RECORD_BYTES;
    /** The largest saved model a control record carries, leaving room for the rest of the record. */
    public static final int MAX_MODEL_BYTES = MAX_RECORD_BYTES - (64 << 10);

    private WarmStarts() {}

    /**
     * What is wrong with a LIVE record's {@code spec} and {@code initialModel} together, as {@code field: reason}, or
     * null: a spec with {@code warmStart} needs a model that fits it ({@link LearnerWarmStart#mismatch}, or one that
     * does not read), one without takes none.
     */
    public static String check(VariantSpec spec, ByteBuffer initialModel) {
        return check(spec, initialModel, new ModelSizeBound(ModelSizeBound.DEFAULT_MAX_PARAMETERS));
    }

    /** {@link #check(VariantSpec, ByteBuffer)} with each spec the model's bytes embed held to {@code bound}. */
    public static String check(VariantSpec spec, ByteBuffer initialModel, ModelSizeBound bound) {
        Optional<WarmStart> warm = spec.warmStart();
        if (warm.isEmpty()) {
            return initialModel == null ? null : "initialModel: field 'initialModel': expected null for a spec "
                    + "without warmStart, got " + initialModel.remaining() + " bytes";
        }
        if (initialModel == null) {
            return "initialModel: field 'initialModel': expected the saved model the spec's warmStart names ("
                    + (warm.get().fromVariant() != null ? "variant " + ExampleValidator.quoted(warm.get().fromVariant())
                    : "file " + ExampleValidator.quoted(warm.get().fromFile()))
                    + "; chorus specs put reads it), got null";
        }
        if (initialModel.remaining() > MAX_MODEL_BYTES) {
            return "initialModel: field 'initialModel': expected at most " + MAX_MODEL_BYTES + " bytes, got "
                    + initialModel.remaining();
        }
        try {
            // Each spec the bytes embed is held to the bound before anything of it is built: a few KB of a hashed
            // model can declare tables of gigabytes, which the reader allocates whole.
            ModelSpec.parsingWith(bound::require, () -> spec.model().skipGram() != null
                    ? ModelWarmStart.startSkipGram(spec.model(), bytes(initialModel), warm.get().carryOptimizer())
                    : ModelWarmStart.start(spec.model(), bytes(initialModel), warm.get().carryOptimizer()));
        } catch (IllegalArgumentException e) {
            return "initialModel: field 'initialModel': expected a saved model that fits the variant's spec, got "
                    + initialModel.remaining() + " bytes: "
                    + UnicodeText.escaped(String.valueOf(e.getMessage()), SpecControl.QUOTED_SPEC_CHARS);
        }
        return null;
    }

    /**
     * Whether a LIVE record of {@code variant} with {@code spec} and no model ({@code hasModel} false) rewarms the
     * variant: its warm start names the variant itself, so the trainer that owns it starts it from its own state
     * ({@link #rewarmed}). {@link SpecControl} takes one only as a reset in place of a live variant whose kind can
     * ({@link ModelWarmStart#cannotRewarm}).
     */
    public static boolean rewarms(VariantSpec spec, String variant, boolean hasModel) {
        return !hasModel && spec.warmStart().map(w -> variant.equals(w.fromVariant())).orElse(false);
    }

    /** Whether {@code change} rewarms its variant ({@link #rewarms(VariantSpec, String, boolean)}). */
    static boolean rewarms(SpecChange change) {
        return !change.retires() && rewarms(VariantSpecs.parseVariant(change.spec, Integer.MAX_VALUE), change.variant,
                change.initialModel != null);
    }

    /**
     * The state a rewarm of {@code own} restarts it as ({@link ModelWarmStart#rewarm}): its model's weights (and
     * tables, standardiser statistics, layer state), the optimizer's state carried or not as the spec's warm start
     * says ({@code spec}, {@code json}), a fresh prequential window and the model version from 0, as a warm start from
     * its saved bytes would give.
     */
    static TrainerState rewarmed(TrainerState own, ModelSpec spec, String json, int prequentialWindow) {
        boolean carry = VariantSpecs.parseVariant(json, Integer.MAX_VALUE).warmStart().map(WarmStart::carryOptimizer)
                .orElse(false);
        return of(ModelWarmStart.rewarm(spec, own.model, carry), new SlidingAccuracy(prequentialWindow));
    }

    public static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** Follows a change: a live warm-started variant's model is kept, anything else forgets the key's. */
    static void apply(BroadcastState<String, byte[]> state, SpecChange change) throws Exception {
        String key = Variants.key(change.task, change.variant);
        if (change.initialModel != null) {
            state.put(key, change.initialModel);
        } else {
            state.remove(key);
        }
    }

    /**
     * A new variant's state: from its saved model when it has one (its spec's {@code warmStart} says whether the
     * optimizer comes along), else fresh. Spec and model come from the broadcast when it has the variant, else with
     * the example ({@link VariantExample}), as the trainer may meet the example before the change.
     */
    static TrainerState state(BaseBroadcastProcessFunction.ReadOnlyContext ctx, ModelSpec spec, VariantExample routed,
            int prequentialWindow) throws Exception {
        String json = ctx.getBroadcastState(VariantSpecs.DESCRIPTOR).get(routed.key());
        byte[] initialModel = json != null ? ctx.getBroadcastState(DESCRIPTOR).get(routed.key()) : routed.initialModel();
        return state(spec, json != null ? json : routed.spec(), initialModel, prequentialWindow);
    }

    /** A new state of {@code spec}: from {@code initialModel} when it and the spec's JSON are given, else fresh. */
    static TrainerState state(ModelSpec spec, String json, byte[] initialModel, int prequentialWindow) {
        if (initialModel == null || json == null) {
            return TrainerState.create(spec, prequentialWindow);
        }
        boolean carry = VariantSpecs.parseVariant(json, Integer.MAX_VALUE).warmStart().map(WarmStart::carryOptimizer)
                .orElse(true);
        SlidingAccuracy prequential = new SlidingAccuracy(prequentialWindow);
        if (spec.skipGram() != null) {
            return new TrainerState(SkipGramTrainer.startedFrom(spec, ModelWarmStart.startSkipGram(spec, initialModel,
                    carry)), prequential);
        }
        return of(ModelWarmStart.start(spec, initialModel, carry), prequential);
    }

    /** The state of a model a warm start made, of whichever kind. */
    private static TrainerState of(Predictor started, SlidingAccuracy prequential) {
        return started instanceof SparseLinearModel hashed ? new TrainerState(hashed, prequential)
                : started instanceof WideDeepModel wideDeep ? new TrainerState(wideDeep, prequential)
                : started instanceof LargeOutputModel large ? new TrainerState(large, prequential)
                : started instanceof LabelModel labelModel ? new TrainerState(labelModel, prequential)
                : new TrainerState((OnlineLearner) started, prequential);
    }
}
