"""Cars for the synthetic scenes (:mod:`fairmot.datasets.synthetic`): side views of saloons,
hatchbacks and vans, each with its own paint, driving along the ground plane.

A car is rendered, like a person, into a patch of part indices that the scene colours and
pastes far to near, so cars and people occlude each other and the ground truth stays the tight
box of every pixel of the figure.
"""
import math
from dataclasses import dataclass

import cv2
import numpy as np

# part indices of a rendered car (0 = not the car)
BODY, WINDOW, TYRE, HUB, HEADLIGHT, TAILLIGHT, BUMPER, STRIPE = range(1, 9)
NUM_CAR_PARTS = 9
CAR_HEIGHT = 0.85          # car height / person height at the same depth (1.45 m / 1.7 m)
SUBPIXEL_BITS = 4
SUB = 1 << SUBPIXEL_BITS


@dataclass
class CarLook:
    palette: np.ndarray     # (NUM_CAR_PARTS, 3) uint8, BGR
    length: float           # length / height
    cabin: str              # saloon, hatchback, van
    scale: float            # height factor
    stripe: bool = False


@dataclass
class Car:
    track_id: int
    look: CarLook
    x: float                # centre of the car's ground contact, canvas pixels
    y: float
    speed: float            # metres per second
    direction: int          # +1 driving right, -1 left
    box: tuple = (0, 0, 0, 0)


def _bgr(h, s, v):
    hsv = np.array([[[h * 180 % 180, s * 255, v * 255]]], dtype=np.float32).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]


def random_car_look(rng):
    palette = np.zeros((NUM_CAR_PARTS, 3), dtype=np.uint8)
    paint = rng.random()
    if paint < 0.35:  # white, silver, grey, black: the commonest car colours
        grey = rng.choice([235, 190, 130, 35])
        palette[BODY] = np.clip(grey + rng.integers(-8, 9, 3), 0, 255)
    else:
        palette[BODY] = _bgr(rng.random(), rng.uniform(0.5, 1.0), rng.uniform(0.35, 0.95))
    palette[WINDOW] = np.clip(np.array([95, 75, 55]) + rng.integers(-20, 21, 3), 0, 255)
    palette[TYRE] = (25, 25, 28)
    palette[HUB] = (165, 165, 170) if rng.random() < 0.7 else (60, 60, 60)
    palette[HEADLIGHT] = (200, 240, 250)
    palette[TAILLIGHT] = (30, 30, 200)
    palette[BUMPER] = (45, 45, 45) if rng.random() < 0.6 else palette[BODY] * 0.8
    palette[STRIPE] = _bgr(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.5, 1.0))
    cabin = str(rng.choice(["saloon", "saloon", "hatchback", "van"]))
    length = {"saloon": rng.uniform(2.6, 3.1), "hatchback": rng.uniform(2.3, 2.6), "van": rng.uniform(2.1, 2.5)}[cabin]
    return CarLook(palette=palette, length=length, cabin=cabin, scale=rng.uniform(0.9, 1.12),
                   stripe=rng.random() < 0.2)


def _pts(points, ox, oy):
    return np.array([[int(round((x + ox) * SUB)), int(round((y + oy) * SUB))] for x, y in points])


def draw_car(look, height, direction, frac_x=0.0, frac_y=0.0):
    """Render a car ``height`` px tall (roof to ground) into a part-index patch.

    Returns ``(parts, (ax, ay))``: the uint8 patch and the patch pixel of the ground contact's
    centre (the point the car stands on), as :func:`fairmot.datasets.synthetic.draw_person`.
    """
    h = height
    length = look.length * h
    pw, ph = int(math.ceil(length)) + 6, int(math.ceil(h)) + 4
    ax, ay = pw // 2, ph - 2
    ox, oy = ax + frac_x - length / 2, ay + frac_y - h   # top-left of the car in patch pixels
    img = np.zeros((ph, pw), dtype=np.uint8)
    front = 1 if direction > 0 else 0                     # which end is the front

    def at(u, v):  # u along the car from its rear (0) to its front (1), v from the roof (0) down
        x = u * length if front else (1 - u) * length
        return x, v * h

    roof = {"saloon": (0.3, 0.66, 0.38), "hatchback": (0.12, 0.62, 0.4), "van": (0.04, 0.7, 0.45)}[look.cabin]
    rear_top, front_top, belt = roof
    # lower body with chamfered ends
    body = [at(0.0, belt + 0.05), at(0.02, belt), at(0.97, belt + 0.03), at(1.0, belt + 0.12),
            at(1.0, 0.8), at(0.0, 0.8)]
    cv2.fillConvexPoly(img, _pts(body, ox, oy), BODY, cv2.LINE_8, SUBPIXEL_BITS)
    # cabin: a sloped windscreen at the front, a steeper back
    cabin = [at(max(rear_top - 0.08, 0.0), belt), at(rear_top, 0.02), at(front_top, 0.02),
             at(min(front_top + 0.16, 0.95), belt)]
    cv2.fillConvexPoly(img, _pts(cabin, ox, oy), BODY, cv2.LINE_8, SUBPIXEL_BITS)
    inset = 0.05
    window = [at(max(rear_top - 0.08, 0.0) + inset, belt - 0.02), at(rear_top + inset * 0.5, 0.08),
              at(front_top - inset * 0.3, 0.08), at(min(front_top + 0.16, 0.95) - inset, belt - 0.02)]
    cv2.fillConvexPoly(img, _pts(window, ox, oy), WINDOW, cv2.LINE_8, SUBPIXEL_BITS)
    pillar_u = (rear_top + front_top) / 2 + 0.04
    x0, _ = at(pillar_u, 0)
    cv2.line(img, tuple(_pts([(x0, 0.06 * h)], ox, oy)[0]), tuple(_pts([(x0, (belt - 0.01) * h)], ox, oy)[0]),
             BODY, max(1, int(round(0.05 * h))), cv2.LINE_8, SUBPIXEL_BITS)
    if look.stripe:
        stripe = [at(0.03, belt + 0.12), at(0.97, belt + 0.12), at(0.97, belt + 0.18), at(0.03, belt + 0.18)]
        cv2.fillConvexPoly(img, _pts(stripe, ox, oy), STRIPE, cv2.LINE_8, SUBPIXEL_BITS)
    # bumpers and lights
    for u0, u1 in ((0.0, 0.05), (0.95, 1.0)):
        bumper = [at(u0, 0.66), at(u1, 0.66), at(u1, 0.78), at(u0, 0.78)]
        cv2.fillConvexPoly(img, _pts(bumper, ox, oy), BUMPER, cv2.LINE_8, SUBPIXEL_BITS)
    for u0, u1, part in ((0.955, 1.0, HEADLIGHT), (0.0, 0.035, TAILLIGHT)):
        light = [at(u0, belt + 0.1), at(u1, belt + 0.1), at(u1, belt + 0.2), at(u0, belt + 0.2)]
        cv2.fillConvexPoly(img, _pts(light, ox, oy), part, cv2.LINE_8, SUBPIXEL_BITS)
    # wheels standing on the ground line
    radius = 0.2 * h
    for u in (0.2, 0.8):
        cx, _ = at(u, 0)
        centre = tuple(_pts([(cx, h - radius)], ox, oy)[0])
        cv2.circle(img, centre, int(radius * SUB), TYRE, -1, cv2.LINE_8, SUBPIXEL_BITS)
        cv2.circle(img, centre, int(radius * 0.5 * SUB), HUB, -1, cv2.LINE_8, SUBPIXEL_BITS)
    return img, (ax, ay)


def colour_car(parts, look):
    """BGR patch of a car's part-index patch: paint shaded lighter on top, darker below."""
    bgr = look.palette[parts].astype(np.float32)
    rows = np.flatnonzero(parts.any(1))
    if len(rows):
        t = (np.arange(parts.shape[0]) - rows[0]) / max(1, rows[-1] - rows[0])
        shade = 1.12 - 0.3 * np.clip(t, 0, 1)
        bgr *= shade[:, None, None]
    return np.clip(bgr, 0, 255).astype(np.uint8)
