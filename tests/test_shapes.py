"""The embedded `shapes` dataset: deterministic, balanced, and not linearly separable."""

import torch

from ddad_lite.data import dataset_info, get_dataset
from ddad_lite.data.shapes import make_shapes


def test_shapes_is_deterministic_balanced_and_in_range():
    a, la = make_shapes(500, seed=3)
    b, lb = make_shapes(500, seed=3)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert a.dtype == torch.uint8 and a.shape == (500, 3, 32, 32)
    assert torch.bincount(la, minlength=10).tolist() == [50] * 10
    c, _ = make_shapes(500, seed=4)
    assert not torch.equal(a, c)


def test_shapes_items_are_normalised_images_and_labels():
    info = dataset_info("shapes")
    ds = get_dataset("shapes", "test", size=50)
    x, y = ds[0]
    assert x.shape == (3, info.image_size, info.image_size) and x.dtype == torch.float32
    assert 0 <= y < info.num_classes
    images, _ = ds.tensors()
    assert abs(float(images.mean())) < 0.5 and 0.5 < float(images.std()) < 2.0


def test_a_linear_classifier_on_raw_pixels_stays_under_60_percent():
    """There is real knowledge to distil: pixels alone are not linearly separable."""
    torch.manual_seed(0)
    train_x, train_y = get_dataset("shapes", "train", size=8000).tensors()
    test_x, test_y = get_dataset("shapes", "test", size=2000).tensors()
    train_x, test_x = train_x.flatten(1), test_x.flatten(1)
    linear = torch.nn.Linear(train_x.shape[1], 10)
    opt = torch.optim.Adam(linear.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in range(300):  # full-batch training to convergence (train accuracy keeps rising)
        loss = torch.nn.functional.cross_entropy(linear(train_x), train_y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        train_acc = (linear(train_x).argmax(1) == train_y).float().mean().item()
        test_acc = (linear(test_x).argmax(1) == test_y).float().mean().item()
    assert train_acc > test_acc  # it did fit what it could
    assert test_acc < 0.60
    assert test_acc > 0.10  # but it is above chance: the classes differ in pixel statistics
