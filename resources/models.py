from django.db import models
from django.urls import reverse


class Topic(models.Model):
    """A service area: used to tag resources and members' areas of interest."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('resources:list')}?topic={self.slug}"
