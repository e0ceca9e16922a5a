package dev.chorus.core.annotators;

import dev.chorus.core.model.ModelSpec;

/** The label models built on a {@link DoctorNet}: its dimensions, spec and counts are theirs. */
abstract class DoctorNetModel extends AnnotatorTrackingModel {

  protected final DoctorNet net;

  DoctorNetModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates) {
    super(registry, estimates);
    this.net = net;
  }

  @Override
  public int numClasses() {
    return net.numClasses();
  }

  @Override
  public int inputDim() {
    return net.inputDim();
  }

  @Override
  public ModelSpec spec() {
    return net.spec();
  }

  @Override
  public long steps() {
    return net.steps();
  }

  @Override
  public long examplesSeen() {
    return net.examplesSeen();
  }
}
