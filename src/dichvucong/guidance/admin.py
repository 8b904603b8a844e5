from django.contrib import admin

from dichvucong.guidance import services
from dichvucong.guidance.models import Guide, GuideRevision


class RevisionInline(admin.TabularInline):
    model = GuideRevision
    fields = ("number", "title", "edited_by", "edited_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "topic", "procedure", "published", "revision", "updated_at")
    list_filter = ("kind", "topic", "published")
    search_fields = ("title", "body", "procedure__code")
    raw_id_fields = ("procedure",)
    readonly_fields = ("revision",)
    inlines = [RevisionInline]

    def save_model(self, request, obj, form, change) -> None:
        services.save(obj, request.user)  # every save is a revision
