package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import java.io.DataInput;
import java.io.IOException;

/**
 * {@code doctor-net}: Guan et al.'s Doctor Net ({@link DoctorNet}), a shared body with one softmax head per
 * annotator; each label trains its annotator's head and the body, and the prediction is the mean of all heads.
 * Confusions are estimated against the prediction (a distribution, not its most probable class), before each
 * minibatch's update. Its training ignores an item's earlier labels, but since label-model format 4 it remembers them
 * (an {@link ItemLabelHistory}) so that a doctor-net task publishes each item's consensus like the other methods; a
 * model saved in an earlier format reads back without a history and publishes none.
 *
 * <p>What the history remembers is counted once, as by the methods on one classifier ({@link ClassifierLabelModel}): a
 * label the item has from its annotator already (a record sent twice, a second pass) is not counted again and moves
 * neither the confusion nor the class prior, but the network trains on it again, as their classifier does; a relabel
 * is not counted again either, and takes back what the replaced label credited, estimated as the current prediction
 * (the one of then is not kept), before it is credited as a new label. A model without a history counts every label.
 */
public final class DoctorNetLabelModel extends DoctorNetModel {

  public static final String NAME = "doctor-net";

  private final float[] predicted;
  private final float[] headProbabilities;
  private int[] slots = new int[0];

  /** @throws IllegalArgumentException if the spec does not suit a {@link DoctorNet} */
  public DoctorNetLabelModel(ModelSpec spec, LabelModelSpec config) {
    this(new DoctorNet(spec, config.maxAnnotators()), new AnnotatorRegistry(config.maxAnnotators(), config.protectedLabels()),
        new ConfusionEstimates(spec.numClasses(), config.maxAnnotators()).forgetWithHalfLife(config.halfLifeLabels()),
        ItemLabelHistory.bounded(config));
  }

  private DoctorNetLabelModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory history) {
    super(net, registry, estimates, history);
    this.predicted = new float[net.numClasses()];
    this.headProbabilities = new float[net.numClasses()];
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected void update(float[] x, long[] items, String[] annotators, int[] labels, int n) {
    if (slots.length < n) {
      slots = new int[n];
    }
    for (int e = 0; e < n; e++) {
      slots[e] = register(annotators[e]);
      net.ensureHead(slots[e]);
      int earlier = rememberedLabel(items[e], slots[e]);
      if (earlier < 0) {
        registry.countLabel(slots[e]);
      }
      remember(items[e], slots[e], labels[e]);
      if (earlier == labels[e]) {
        continue;
      }
      // The live heads' view, even when the label model predicts from averaged ones.
      mixHeads(net, net.live(), x, e * inputDim(), null, headProbabilities, predicted);
      if (earlier >= 0) {
        estimates.withdraw(slots[e], earlier, predicted);
      }
      estimates.observeClass(predicted);
      estimates.mStep(slots[e], labels[e], predicted);
    }
    net.train(x, slots, labels, n);
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    mixHeads(net, net.serving(), x, xOffset, null, headProbabilities, out);
  }

  /**
   * {@code Σ_h weights[h] · head_h(body(x))} over all of {@code net}'s heads, as {@code view} sees the body and heads,
   * into {@code out}; equal weights if {@code weights} is {@code null}; uniform if there are no heads yet.
   */
  static void mixHeads(DoctorNet net, DoctorNetView view, float[] x, int xOffset, double[] weights, float[] scratch,
      float[] out) {
    float[] features = view.features(x, xOffset);
    int k = net.numClasses();
    int heads = net.headCount();
    for (int c = 0; c < k; c++) {
      out[c] = heads == 0 ? 1f / k : 0f;
    }
    for (int h = 0; h < heads; h++) {
      view.headProba(h, features, scratch);
      float w = weights == null ? 1f / heads : (float) weights[h];
      for (int c = 0; c < k; c++) {
        out[c] += w * scratch[c];
      }
    }
  }

  @Override
  public DoctorNetLabelModel copy() {
    return new DoctorNetLabelModel(net.copy(), registry.copy(), estimates.copy(), remembered(false));
  }

  /** Reads what follows the header of {@link #writeTo} in format {@code version}: from format 4, an optional history. */
  static DoctorNetLabelModel readBody(DataInput in, int version) throws IOException {
    AnnotatorRegistry registry = AnnotatorRegistry.readFrom(in, version);
    ConfusionEstimates estimates = ConfusionEstimates.readFrom(in);
    ItemLabelHistory history = readRemembered(in, version);
    DoctorNet net = DoctorNetCodec.read(in, registry.maxAnnotators());
    LabelModels.requireHistoryWithin(history, net.spec());
    return new DoctorNetLabelModel(net, registry, estimates, history);
  }
}
