"""Topic moved from the resources app down to members (migrations resources 0006
and 0007, members 0007). The table, its rows and every link must survive the
move in both directions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from members.models import Member, Topic
from resources.models import CaseStudy, Resource
from tests.factories import MemberFactory
from tests.resources.factories import CaseStudyFactory, ResourceFactory

BEFORE_THE_MOVE = [("resources", "0005_performance_indexes"), ("members", "0006_performance_indexes")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_topics_and_their_links_survive_the_move_to_members_and_back(london_councils):
    housing = Topic.objects.create(name="Move test housing", slug="move-test-housing", position=40)
    schools = Topic.objects.create(name="Move test schools", slug="move-test-schools", position=41)
    resource = ResourceFactory()
    resource.topics.set([housing, schools])
    case_study = CaseStudyFactory()
    case_study.topics.set([schools])
    member = MemberFactory()
    member.interests.set([housing])

    try:
        old = _migrate(BEFORE_THE_MOVE)
        OldTopic = old.get_model("resources", "Topic")
        assert OldTopic._meta.db_table == "resources_topic"
        assert set(OldTopic.objects.filter(slug__startswith="move-test").values_list("pk", "name", "position")) == {
            (housing.pk, "Move test housing", 40),
            (schools.pk, "Move test schools", 41),
        }
        old_resource = old.get_model("resources", "Resource").objects.get(pk=resource.pk)
        assert set(old_resource.topics.values_list("slug", flat=True)) == {"move-test-housing", "move-test-schools"}
        old_member = old.get_model("members", "Member").objects.get(pk=member.pk)
        assert list(old_member.interests.values_list("slug", flat=True)) == ["move-test-housing"]
    finally:
        _migrate(_latest())

    assert Topic._meta.db_table == "members_topic"
    assert Topic.objects.get(pk=housing.pk).name == "Move test housing"
    assert set(Resource.objects.get(pk=resource.pk).topics.all()) == {housing, schools}
    assert list(CaseStudy.objects.get(pk=case_study.pk).topics.all()) == [schools]
    assert list(Member.objects.get(pk=member.pk).interests.all()) == [housing]
    assert list(housing.interested_members.all()) == [member]
    # New topics still get ids from the table's own sequence.
    assert Topic.objects.create(name="Move test parks", slug="move-test-parks").pk > schools.pk


@pytest.mark.django_db(transaction=True)
def test_topic_permissions_follow_the_model_to_the_members_app():
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    _migrate(BEFORE_THE_MOVE)
    try:
        old_type = ContentType.objects.get(app_label="resources", model="topic")
    finally:
        _migrate(_latest())

    moved = ContentType.objects.get(pk=old_type.pk)
    assert moved.app_label == "members"
    assert Permission.objects.filter(content_type=moved, codename="change_topic").exists()
