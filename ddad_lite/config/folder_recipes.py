"""The default recipe of one's own image folder (`data prepare imagefolder --name NAME`).

A dataset the kit has never seen gets the CIFAR recipe's shape (recipes.py), sized from what
the data says: its image size picks the generator (GeneratorA, which upsamples twice from
size / 4, up to 64 px; the DCGAN-style GeneratorB, from size / 16, above), and its train
split the validation split held out of it (a tenth, at most 5,000 images). The pair is the
kit's BatchNorm convnets (global pooling, so any size fits): `--teacher` and `--student`
choose others, `--teacher-file` brings a trained teacher. The class count comes from the
dataset itself when the models are built.

  smoke  seconds: plumbing only (a teacher trained on 256 images for one epoch)
  quick  minutes on a CPU: CIFAR's quick schedule
  full   a GPU's work: DFAD's CIFAR schedule
"""

from __future__ import annotations

from ..errors import UserError


def image_folder_recipe(*, image_size: int, train_images: int) -> dict:
    """`RECIPES`-style dict for an image folder of `train_images` images of `image_size` px."""
    if image_size % 4:
        raise UserError(f"the generators make images of a size divisible by 4, the dataset's "
                        f"are {image_size} px; prepare it again with --image-size N (a "
                        f"multiple of 4)")
    large = image_size > 64 and image_size % 16 == 0
    generator = dict(generator="generator_b", generator_kwargs={}) if large else dict(
        generator="generator_a", generator_kwargs={"conv_bias": True})
    val_size = min(5000, train_images // 10)
    return {
        "common": dict(teacher="convnet_teacher", teacher_kwargs={}, student="convnet_student",
                       student_kwargs={}, **generator, nz=256, ngf=64, lr_student=0.1,
                       lr_generator=1e-3, weight_decay=5e-4, val_size=val_size),
        "smoke": dict(iterations=2, batch_size=8, student_steps=1, eval_every=2, eval_size=200,
                      val_size=min(val_size, 100), ngf=16, log_every=1, snapshot_every=2,
                      snapshot_size=8,
                      teacher_recipe=dict(epochs=1, train_size=256, batch_size=32,
                                          eval_size=500)),
        "quick": dict(ngf=32, iterations=400, batch_size=64, student_steps=5, eval_every=40,
                      snapshot_every=40, lr_milestones=(0.6, 0.85),
                      teacher_recipe=dict(epochs=5, batch_size=128, lr=0.05)),
        "full": dict(iterations=25000, batch_size=256, student_steps=5, eval_every=250,
                     snapshot_every=1000, lr_milestones=(99 / 500, 199 / 500),
                     teacher_recipe=dict(epochs=200, batch_size=128, lr=0.1)),
    }
